/**
 * Idempotency-Key on POST inside workerd: replays of the stored answer, 422 for a different request,
 * 409 while the first is in flight (concurrent duplicates run the pipeline once), answers failing
 * through our fault not kept, multipart bodies compared by their parts, streamed answers.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, llmCalls, llmEnv, migrate, post, recognizeBody, RECORDED_POST, usageRows } from '../support/accounts';
import { BLUE, encodePng, makeImage } from '../support/images';

const app = createApp();
const noLlm = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('LLM_')));
const idem = (key: string, auth: Record<string, string>) => ({ ...auth, 'idempotency-key': key });

beforeAll(migrate);

/**
 * An app with a POST /v1/__stream route that streams `events` (pausing `pauseMs` after each), then sets the
 * request's metering (null: failed on our side) and closes; `runs.count` counts the times the route ran.
 */
function streamingApp(events: string[], metering: { units: number; llm_tokens: number; model_ms: number } | null, pauseMs = 0) {
  const streaming = createApp();
  const runs = { count: 0 };
  streaming.post('/v1/__stream', (c) => {
    runs.count++;
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(ctrl) {
        for (const ev of events) {
          ctrl.enqueue(enc.encode(ev));
          if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        }
        c.set('metering', metering);
        ctrl.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  });
  return { app: streaming, runs };
}

describe('Idempotency-Key', () => {
  it('replays the stored answer for the same key and body: same status and body, no new work, no new unit', async () => {
    const k = await issueKey({ name: 'replay', quota: 5 });
    const { env: e, model } = llmEnv();
    const body = await recognizeBody();
    const first = await app.request('/v1/recognize', post(body, idem('order-1', k.auth)), e);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();
    const again = await app.request('/v1/recognize', post(body, idem('"order-1"', k.auth)), e); // the RFC 8941 string form
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(again.headers.get('ratelimit')).toMatch(/"monthly";r=4;/);
    expect(await llmCalls(model)).toBe(1);
    expect(await usageRows(k.id)).toHaveLength(1);
  });

  it('422 idempotency-mismatch for the same key with a different body', async () => {
    const k = await issueKey({ name: 'mismatch' });
    const { env: e } = llmEnv();
    expect((await app.request('/v1/recognize', post(await recognizeBody(), idem('k-1', k.auth)), e)).status).toBe(200);
    const res = await app.request('/v1/recognize', post(await recognizeBody(RECORDED_POST + ' !'), idem('k-1', k.auth)), e);
    expect(res.status).toBe(422);
    const p = await res.json<any>();
    expect(p.type).toBe('https://gmner.dev/problems/idempotency-mismatch');
    expect(p.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('concurrent duplicates: exactly one runs, the others get 409 with Retry-After, then the answer replays', async () => {
    const k = await issueKey({ name: 'concurrent', quota: 10 });
    const { env: e, model } = llmEnv('slow?delay_ms=600');
    const body = await recognizeBody();
    const ctx = createExecutionContext();
    const answers = await Promise.all(Array.from({ length: 6 }, () => app.request('/v1/recognize', post(body, idem('dup-1', k.auth)), e, ctx)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    for (const r of answers.filter((a) => a.status === 409)) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect((await r.json<any>()).type).toBe('https://gmner.dev/problems/idempotency-conflict');
    }
    const winner = await answers.find((a) => a.status === 200)!.json<any>();
    await waitOnExecutionContext(ctx);
    expect(await llmCalls(model)).toBe(1);
    const replay = await app.request('/v1/recognize', post(body, idem('dup-1', k.auth)), e);
    expect(replay.status).toBe(200);
    expect((await replay.json<any>()).id).toBe(winner.id);
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].request_id).toBe(winner.id);
  });

  it('does not keep an answer that failed through our fault: the retry runs again', async () => {
    const k = await issueKey({ name: 'retry-after-5xx', quota: 1 });
    const body = await recognizeBody();
    const failed = await app.request('/v1/recognize', post(body, idem('r-1', k.auth)), noLlm);
    expect(failed.status).toBe(503);
    const retried = await app.request('/v1/recognize', post(body, idem('r-1', k.auth)), llmEnv().env);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(await usageRows(k.id)).toHaveLength(1);
  });

  it('keeps client errors (billed): the same invalid request replays its 422', async () => {
    const k = await issueKey({ name: 'client-error' });
    const bad = JSON.stringify({ text: '' });
    const a = await app.request('/v1/recognize', post(bad, idem('bad-1', k.auth)), env);
    const b = await app.request('/v1/recognize', post(bad, idem('bad-1', k.auth)), env);
    expect([a.status, b.status]).toEqual([422, 422]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.headers.get('content-type')).toBe('application/problem+json');
    expect(await usageRows(k.id)).toHaveLength(1);
  });

  it('compares multipart bodies by their parts, whatever boundary each client picks', async () => {
    const k = await issueKey({ name: 'multipart' });
    const { env: e, model } = llmEnv();
    const png = await encodePng(makeImage(16, 16, () => BLUE));
    const form = (text: string) => {
      const f = new FormData();
      f.set('text', text);
      f.set('image', new File([png], 'p.png', { type: 'image/png' }));
      return f;
    };
    const send = (text: string) => app.request('/v1/recognize', { method: 'POST', body: form(text), headers: idem('mp-1', k.auth) }, e);
    const a = await send(RECORDED_POST);
    const b = await send(RECORDED_POST);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await b.text()).toBe(await a.text());
    expect(await llmCalls(model)).toBe(1);
    expect((await send(RECORDED_POST + ' ?')).status).toBe(422);
  });

  it('is scoped per API key, and ignored on GET', async () => {
    const a = await issueKey({ name: 'scope-a' });
    const b = await issueKey({ name: 'scope-b' });
    const { env: e, model } = llmEnv();
    const body = await recognizeBody();
    expect((await app.request('/v1/recognize', post(body, idem('shared', a.auth)), e)).status).toBe(200);
    const other = await app.request('/v1/recognize', post(body, idem('shared', b.auth)), e);
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(await llmCalls(model)).toBe(2);
    const g = await app.request('/v1/models', { headers: idem('"x', a.auth) }, env);
    expect(g.status).toBe(200);
  });

  it('400 idempotency-key-invalid for a malformed key', async () => {
    const k = await issueKey({ name: 'invalid' });
    for (const v of ['', '"unterminated', 'a,b', 'two words', 'x'.repeat(256), '"bad \\n escape"']) {
      const res = await app.request('/v1/recognize', post('{}', { ...k.auth, 'idempotency-key': v }), env);
      expect(res.status, JSON.stringify(v)).toBe(400);
      expect((await res.json<any>()).type).toBe('https://gmner.dev/problems/idempotency-key-invalid');
    }
    expect(await usageRows(k.id)).toEqual([]);
  });

  it('settles a streamed answer when its stream ends, and replays it whole', async () => {
    const k = await issueKey({ name: 'stream', quota: 3 });
    const { app: streaming, runs } = streamingApp(['event: stage\ndata: {"stage":"recognize"}\n\n', 'event: done\ndata: {"ok":true}\n\n'], { units: 2, llm_tokens: 10, model_ms: 5 }, 20);
    const ctx = createExecutionContext();
    const res = await streaming.request('/v1/__stream', post('{}', idem('s-1', k.auth)), env, ctx);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: done');
    await waitOnExecutionContext(ctx);
    const replay = await streaming.request('/v1/__stream', post('{}', idem('s-1', k.auth)), env);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toBe('text/event-stream');
    expect(await replay.text()).toBe(text);
    expect(runs.count).toBe(1);
    const rows = await usageRows(k.id);
    expect(rows).toMatchObject([{ route: 'POST /v1/__stream', units: 2, llm_tokens: 10, model_ms: 5, status: 200, outcome: 'ok' }]);
    expect(replay.headers.get('ratelimit')).toMatch(/"monthly";r=1;/);
  });

  it('neither bills nor keeps a stream that its route says failed on our side (metering null)', async () => {
    const k = await issueKey({ name: 'stream-failed', quota: 3 });
    const { app: streaming, runs } = streamingApp(['event: error\ndata: {"status":502}\n\n'], null);
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      const res = await streaming.request('/v1/__stream', post('{}', idem('sf-1', k.auth)), env, ctx);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      await res.text();
      await waitOnExecutionContext(ctx);
    }
    expect(runs.count).toBe(2);
    expect(await usageRows(k.id)).toEqual([]);
    const after = await streaming.request('/v1/models', { headers: k.auth }, env);
    expect(after.headers.get('ratelimit')).toMatch(/"monthly";r=3;/);
  });
});
