/**
 * Which request is which (issue 11, item 10): the request id in answers, logs and usage records is ours;
 * a client's X-Request-Id is kept apart (client_request_id). An Idempotency-Key answer is replayed only
 * to a request that asks for the same form (an event stream is never replayed to a JSON retry).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, llmEnv, post, recognizeBody, usageRows } from '../support/accounts';

const app = createApp();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request identity', () => {
  it("keeps a client's X-Request-Id apart: our id in the answer, the usage record and the log; theirs as client_request_id", async () => {
    const k = await issueKey({ name: 'client-id' });
    const { env: e } = llmEnv();
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => (logs.push(a.map(String).join(' ')), log(...a));
    const ctx = createExecutionContext();
    let res: Response;
    try {
      res = await app.request('/v1/recognize', post(await recognizeBody(), { ...k.auth, 'x-request-id': 'client-chosen-1' }), e, ctx);
      await res.arrayBuffer();
      await waitOnExecutionContext(ctx);
    } finally {
      console.log = log;
    }
    expect(res.status).toBe(200);
    const ours = res.headers.get('x-request-id')!;
    expect(ours).toMatch(UUID);
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: ours, client_request_id: 'client-chosen-1' });
    const line = logs.map((l) => { try { return JSON.parse(l); } catch { return null; } }).find((l) => l?.path === '/v1/recognize');
    expect(line).toMatchObject({ request_id: ours, client_request_id: 'client-chosen-1' });
    // GET /v1/usage returns both, and a request sent without X-Request-Id has null there.
    const ctx2 = createExecutionContext();
    await (await app.request('/v1/recognize', post(await recognizeBody(), k.auth), e, ctx2)).arrayBuffer();
    await waitOnExecutionContext(ctx2);
    const usage = await app.request('/v1/usage', { headers: k.auth }, e);
    expect(usage.status).toBe(200);
    const records = (await usage.json<any>()).records;
    expect(records).toHaveLength(2);
    expect(records.find((r: any) => r.request_id === ours)).toMatchObject({ client_request_id: 'client-chosen-1' });
    expect(records.find((r: any) => r.request_id !== ours)).toMatchObject({ client_request_id: null });
  });

  it('an Idempotency-Key used for an event stream is not replayed to a JSON request (422 idempotency-mismatch)', async () => {
    const k = await issueKey({ name: 'idem-accept' });
    const { env: e } = llmEnv();
    const body = await recognizeBody();
    const first = await app.request('/v1/recognize', post(body, { ...k.auth, 'idempotency-key': 'form-1', accept: 'text/event-stream' }), e);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await first.text();
    const json = await app.request('/v1/recognize', post(body, { ...k.auth, 'idempotency-key': 'form-1', accept: 'application/json' }), e);
    expect(json.status).toBe(422);
    expect((await json.json<any>()).type).toBe('https://gmner.dev/problems/idempotency-mismatch');
    // The same form still replays.
    const again = await app.request('/v1/recognize', post(body, { ...k.auth, 'idempotency-key': 'form-1', accept: 'text/event-stream' }), e);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    void env;
  });
});
