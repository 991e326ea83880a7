/**
 * The typed client (shared/client): the event-stream reader on bodies split at awkward places, the
 * stream and JSON calls' headers, and errors as problems. The service side of the stream is tested in
 * test/workers/stream-recognize.test.ts and, through this client, in test/browser/demo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createClient } from '../../shared/client';
import { readSse } from '../../shared/client/sse';

/** A body that arrives in the given pieces. */
function body(...pieces: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of pieces) c.enqueue(enc.encode(p));
      c.close();
    },
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readSse', () => {
  it('joins data lines, skips comments, takes CRLF and CR, and survives any split, even inside a character', async () => {
    const text = ': keep-alive\n\nid: 1\nevent: entities\ndata: {"a":\ndata: 1}\n\r\nid: 2\r\nevent: answer\rdata: "é"\n\n';
    const bytes = new TextEncoder().encode(text);
    const expected = [{ event: 'entities', data: '{"a":\n1}', id: '1' }, { event: 'answer', data: '"é"', id: '2' }];
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes.slice(0, cut)); c.enqueue(bytes.slice(cut)); c.close(); } });
      expect(await all(readSse(s)), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('drops an event the stream ends in the middle of', async () => {
    expect(await all(readSse(body('event: a\ndata: 1\n\n', 'event: b\ndata: 2')))).toEqual([{ event: 'a', data: '1' }]);
  });
});

describe('createClient', () => {
  it('streams: asks for text/event-stream with the Bearer key and yields parsed events', async () => {
    const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
    const api = createClient({
      baseUrl: 'http://svc/', apiKey: 'gmn_k',
      fetch: (async (url: string, init: RequestInit) => {
        seen.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
        return new Response(body('event: entities\ndata: {"entities":[],"dropped":[]}\n\n', 'event: answer\ndata: {"id":"r1"}\n\n'), { headers: { 'content-type': 'text/event-stream' } });
      }) as typeof fetch,
    });
    const events = await all(api.recognizeStream({ text: 't', image: { url: 'https://example.com/a.jpg' } }, { idempotencyKey: 'k1' }));
    expect(events).toEqual([{ event: 'entities', data: { entities: [], dropped: [] } }, { event: 'answer', data: { id: 'r1' } }]);
    expect(seen[0].url).toBe('http://svc/v1/recognize');
    expect(seen[0].headers).toMatchObject({ accept: 'text/event-stream', authorization: 'Bearer gmn_k', 'content-type': 'application/json', 'idempotency-key': 'k1' });
    expect(JSON.parse(seen[0].body)).toEqual({ text: 't', image: { url: 'https://example.com/a.jpg' } });
  });

  it('throws ApiError with the problem, its status and Retry-After; a non-problem body becomes a problem too', async () => {
    const problem = { type: 'https://gmner.dev/problems/rate-limited', title: 'Rate limited', status: 429, detail: 'Slow down.' };
    const answers = [
      new Response(JSON.stringify(problem), { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '7' } }),
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    ];
    const api = createClient({ baseUrl: 'http://svc', fetch: (async () => answers.shift()!) as unknown as typeof fetch });
    const first = await api.recognize({ text: 't', image: { url: 'https://example.com/a.jpg' } }).catch((e) => e);
    expect(first).toBeInstanceOf(ApiError);
    expect(first.problem).toMatchObject(problem);
    expect(first.retryAfterS).toBe(7);
    const second = await api.getJob('job_1').catch((e) => e);
    expect(second.problem).toMatchObject({ status: 502, title: 'Bad Gateway', detail: '<html>bad gateway</html>' });
  });

  it('sends FormData as multipart (fetch sets the boundary) and polls a job until its outcome is stored', async () => {
    const statuses = ['queued', 'running', 'succeeded'];
    const calls: RequestInit[] = [];
    const api = createClient({
      baseUrl: 'http://svc',
      fetch: (async (url: string, init: RequestInit) => {
        calls.push(init);
        if (init.method === 'POST') return Response.json({ id: 'job_1', status: 'queued', status_url: 'http://svc/v1/jobs/job_1' }, { status: 202 });
        return Response.json({ id: 'job_1', status: statuses.shift() });
      }) as typeof fetch,
    });
    const form = new FormData();
    form.set('text', 't');
    expect((await api.createJob(form)).id).toBe('job_1');
    expect(calls[0].body).toBe(form);
    expect(calls[0].headers).not.toHaveProperty('content-type');
    expect((await api.waitForJob('job_1', { intervalMs: 1 })).status).toBe('succeeded');
    expect(calls).toHaveLength(4);
  });
});
