/**
 * Hosted-VLM answers for the grounding tests, written in the styles the vendors document and their
 * models are known to produce (conventions and sources: shared/vision/vlm-boxes.ts): Gemini's `box_2d` [ymin, xmin, ymax, xmax] on 0-1000 in
 * a fenced JSON block; Qwen2.5-VL's bare list of `{"bbox_2d": [x1, y1, x2, y2], "label"}` in pixels of
 * its resized input; Qwen3-VL's `bbox_2d` on 0-1000. They are not captured from the live services
 * (the test machines have no network), so they pin the parsing, not the vendors' behaviour.
 * Served through a fetch that answers like an OpenAI-compatible /chat/completions endpoint.
 */

export const GEMINI_FENCED = [
  'Here are the bounding boxes:',
  '```json',
  '{"boxes": [',
  '  {"id": 1, "box_2d": [100, 250, 500, 750]},',
  '  {"id": 2, "box_2d": null},',
  '  {"id": 3, "box_2d": [0, 0, 1000, 1000]},',
  ']}',
  '```',
].join('\n');

export const QWEN25_LABELLED = '```json\n[\n\t{"bbox_2d": [201, 50, 806, 252], "label": "Kevin Durant"},\n\t{"bbox_2d": [0, 0, 504, 504], "label": "Houston"}\n]\n```';

export const QWEN3_NUMBERED = '{"boxes": [{"id": 1, "bbox_2d": [200, 100, 800, 500]}, {"id": 2, "bbox_2d": [900, 900, 100, 100]}]}';

export const REFUSAL = 'I am sorry, I cannot determine the locations of these people.';

export interface CapturedRequest {
  url: string;
  body: {
    model: string;
    messages: Array<{ role: string; content: string | Array<{ type: string; text?: string; image_url?: { url: string } }> }>;
    response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  };
}

/** A fetch that answers each chat completion with the next of `answers`, recording every request. */
export function answeringFetch(answers: string[]): { fetch: typeof fetch; requests: CapturedRequest[] } {
  const requests: CapturedRequest[] = [];
  const queue = [...answers];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = (await req.json()) as CapturedRequest['body'];
    requests.push({ url: req.url, body });
    const content = queue.shift();
    if (content === undefined) return new Response(JSON.stringify({ error: { message: 'no more answers' } }), { status: 500, headers: { 'content-type': 'application/json' } });
    return new Response(JSON.stringify({
      id: `chatcmpl-${requests.length}`, object: 'chat.completion', created: 0, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1000, completion_tokens: 40, total_tokens: 1040 },
    }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: f, requests };
}

/** Width and height from a PNG's IHDR. */
export function pngSize(dataUrl: string): { width: number; height: number } {
  const b64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const bytes = Uint8Array.from(atob(b64.slice(0, 64)), (c) => c.charCodeAt(0));
  const v = new DataView(bytes.buffer);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}
