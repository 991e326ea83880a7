/**
 * LLM_PROVIDER=workers-ai. No Workers AI runs offline, so the binding here is an object shaped like
 * env.AI whose run() forwards to the recorded server and reshapes the answer the way Workers AI
 * does ({response, usage}); the recognizer under test is the production one.
 */
import { describe, expect, it } from 'vitest';
import { isProblem, type ProblemError } from '../../shared/problems';
import { classifyBindingError } from '../../shared/llm/workers-ai';
import { createRecognizer, llmConfigFromEnv, type AiBindingLike } from '../../shared/recognize';
import { LLM_SERVER_URL } from '../llm-server/constants';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';

const VEGA = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;

interface RunCall {
  model: string;
  inputs: Record<string, any>;
  options?: Record<string, any>;
}

function recordedBinding(opts: { parsedJson?: boolean; failFirst?: Error[] } = {}): AiBindingLike & { calls: RunCall[] } {
  const failures = [...(opts.failFirst ?? [])];
  const calls: RunCall[] = [];
  return {
    calls,
    async run(model, inputs, options) {
      calls.push({ model, inputs, options });
      const f = failures.shift();
      if (f) throw f;
      const r = await fetch(`${LLM_SERVER_URL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'recorded', messages: inputs.messages }) });
      const body = (await r.json()) as any;
      const content = body.choices[0].message.content as string;
      return { response: opts.parsedJson && inputs.response_format ? JSON.parse(content) : content, usage: body.usage };
    },
  };
}

function recognizer(ai: AiBindingLike, env: Record<string, unknown> = {}) {
  const r = llmConfigFromEnv({ LLM_PROVIDER: 'workers-ai', LLM_MODEL: '@cf/meta/llama-3.3-70b-instruct-fp8-fast', AI: ai, ...env });
  if (!r.config) throw new Error(r.problems.join('; '));
  return createRecognizer(r.config, { ai });
}

describe('Workers AI binding', () => {
  it('says once, right after the binding has the first request, that the request is out', async () => {
    const ai = recordedBinding({ failFirst: [new Error('3040: Capacity temporarily exceeded')] });
    const sent: number[] = [];
    const out = await recognizer(ai, { LLM_MAX_RETRIES: '1' }).recognize({ text: VEGA, labels: 'gmner', onSent: () => sent.push(ai.calls.length) });
    expect(out.entities.length).toBeGreaterThan(0);
    // signalled when run() was called the first time; the retry does not signal again
    expect(sent).toEqual([1]);
  });

  it('recognizes through env.AI.run with the schema in Workers AI form and a max_tokens', async () => {
    const ai = recordedBinding();
    const out = await recognizer(ai).recognize({ text: VEGA, labels: 'gmner' });
    expect(out.entities.map((e) => e.text)).toEqual(['Marisol Vega', 'Harold Brandt']);
    expect(out.model).toBe('@cf/meta/llama-3.3-70b-instruct-fp8-fast');
    expect(out.usage.calls).toBe(1);
    expect(out.usage.prompt_tokens).toBeGreaterThan(0);
    const [call] = ai.calls;
    expect(call.model).toBe('@cf/meta/llama-3.3-70b-instruct-fp8-fast');
    expect(call.inputs.response_format.type).toBe('json_schema');
    expect(call.inputs.response_format.json_schema.properties.entities).toBeDefined();
    expect(call.inputs.max_tokens).toBe(256 + 48 * 32) // LLM_MAX_TOKENS' default for MAX_ENTITIES_PER_POST=32;
    expect(call.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it('accepts JSON mode answers that arrive already parsed', async () => {
    const out = await recognizer(recordedBinding({ parsedJson: true })).recognize({ text: VEGA, labels: 'gmner' });
    expect(out.entities).toHaveLength(2);
  });

  it('runs RiVEG per_entity mode', async () => {
    const ai = recordedBinding();
    const out = await recognizer(ai, { LLM_MODE: 'per_entity' }).recognize({ text: VEGA, labels: 'gmner' });
    expect(out.entities[1].expansion).toBe('Harold Brandt(PER)-A politician.');
    expect(ai.calls).toHaveLength(3);
    expect(ai.calls[1].inputs.response_format).toBeUndefined();
    expect(ai.calls[1].inputs.max_tokens).toBe(128);
  });

  it('retries capacity errors and routes through an AI Gateway when configured', async () => {
    const ai = recordedBinding({ failFirst: [new Error('3040: Capacity temporarily exceeded, please try again.')] });
    const out = await recognizer(ai, { AI_GATEWAY_ID: 'my-gw', AI_GATEWAY_CACHE_TTL: '60' }).recognize({ text: VEGA, labels: 'gmner', request_id: 'r-1' });
    expect(out.entities).toHaveLength(2);
    expect(ai.calls).toHaveLength(2);
    expect(ai.calls[1].options?.gateway).toEqual({ id: 'my-gw', cacheTtl: 60, metadata: { request_id: 'r-1' } });
  });

  it('does not retry an unknown model and answers 502', async () => {
    const ai = recordedBinding({ failFirst: [new Error('5007: No such model @cf/nope or task')] });
    let p: ProblemError | undefined;
    try {
      await recognizer(ai).recognize({ text: VEGA, labels: 'gmner' });
    } catch (e) {
      if (isProblem(e)) p = e;
    }
    expect([p?.kind, p?.status]).toEqual(['llm-failed', 502]);
    expect(p?.extensions).toMatchObject({ dependency: 'llm', provider: 'workers-ai' });
    expect(ai.calls).toHaveLength(1);
  });

  it('sends an image only as a data: URL', async () => {
    const ai = recordedBinding();
    const r = recognizer(ai, { LLM_SEND_IMAGE: 'on' });
    await r.recognize({ text: VEGA, labels: 'gmner', image_url: 'https://example.com/a.jpg' });
    expect(typeof ai.calls[0].inputs.messages.at(-1).content).toBe('string');
    await r.recognize({ text: VEGA, labels: 'gmner', image_url: 'data:image/jpeg;base64,/9j/' });
    expect(ai.calls[1].inputs.messages.at(-1).content[1]).toEqual({ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } });
  });

  it('classifies binding errors by their code and text', () => {
    expect(classifyBindingError(new Error('3040: Capacity temporarily exceeded')).kind).toBe('rate-limited');
    expect(classifyBindingError(new Error('AiError: Too Many Requests (429)')).kind).toBe('rate-limited');
    expect(classifyBindingError(new Error('InferenceUpstreamError: 503 Service Unavailable')).kind).toBe('overloaded');
    expect(classifyBindingError(new Error('3043: Internal server error')).kind).toBe('server');
    expect(classifyBindingError(new Error('3007: Request timeout')).kind).toBe('timeout');
    expect(classifyBindingError(new Error('5006: Invalid input')).kind).toBe('rejected');
  });
});
