/**
 * The usage ledger inside workerd: one record per billable request with its key, request id, route,
 * units, LLM tokens, model time and outcome; GET /v1/usage for the caller's key only; recordUsage()
 * for asynchronous work (idempotent, counted against the quota).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordUsage } from '../../functions/api/accounts';
import { createApp } from '../../functions/api/app';
import { issueKey, llmEnv, migrate, post, recognizeBody, usageRows } from '../support/accounts';

const app = createApp();
const noLlm = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('LLM_')));
const usage = (auth: Record<string, string>, query = '') => exports.default.fetch(`http://x/v1/usage${query}`, { headers: auth });

beforeAll(migrate);

describe('usage records', () => {
  it('writes one record per billable request, after the answer (waitUntil), and none for 5xx', async () => {
    const k = await issueKey({ name: 'ledger' });
    const ctx = createExecutionContext();
    const ok = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), llmEnv().env, ctx);
    expect(ok.status).toBe(200);
    const answer = await ok.json<any>();
    const bad = await app.request('/v1/recognize', post(JSON.stringify({ text: 'x', image: { url: 'https://10.0.0.1/a.jpg' } }), k.auth), llmEnv().env, ctx);
    expect(bad.status).toBe(422);
    const failed = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), noLlm, ctx);
    expect(failed.status).toBe(503);
    await waitOnExecutionContext(ctx);
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(2);
    const [r200, r422] = [rows.find((r) => r.status === 200)!, rows.find((r) => r.status === 422)!];
    expect(r200).toMatchObject({ key_id: k.id, request_id: answer.id, route: 'POST /v1/recognize', units: 1, outcome: 'ok' });
    expect(r200.llm_tokens).toBe(answer.usage.total_tokens);
    expect(r200.llm_tokens).toBeGreaterThan(0);
    expect(r200.model_ms).toBe(Math.round(answer.timings_ms.recognize));
    expect(r422).toMatchObject({ request_id: bad.headers.get('x-request-id'), units: 1, llm_tokens: 0, outcome: 'image-url-refused' });
    expect(new Date(r200.created_at).toISOString()).toBe(r200.created_at);
  });

  it("GET /v1/usage lists the caller's records and totals only, by range and page", async () => {
    const a = await issueKey({ name: 'usage-a', quota: 100 });
    const b = await issueKey({ name: 'usage-b' });
    const bad = JSON.stringify({ text: '' });
    for (let i = 0; i < 3; i++) expect((await app.request('/v1/recognize', post(bad, a.auth), env)).status).toBe(422);
    expect((await app.request('/v1/recognize', post(bad, b.auth), env)).status).toBe(422);

    const res = await usage(a.auth);
    expect(res.status).toBe(200);
    const page = await res.json<any>();
    expect(page.key).toEqual({ id: a.id, name: 'usage-a', quota: 100 });
    expect(page.totals).toEqual({ requests: 3, units: 3, llm_tokens: 0, model_ms: 0 });
    expect(page.records).toHaveLength(3);
    expect(page.records[0]).toMatchObject({ route: 'POST /v1/recognize', units: 1, status: 422, outcome: 'validation' });
    expect(page.records[0].key_id).toBeUndefined();
    expect(page.next_cursor).toBeNull();

    // Paging: totals cover the range, records come one page at a time, in order, without repeats.
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const p: any = await (await usage(a.auth, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
      expect(p.totals.requests).toBe(3);
      seen.push(...p.records.map((r: any) => r.id));
      cursor = p.next_cursor;
    }
    expect(seen).toEqual(page.records.map((r: any) => r.id));

    // A range before the records holds none; `to` is exclusive.
    const first = page.records[0].created_at;
    const before = await (await usage(a.auth, `?from=2020-01-01&to=${encodeURIComponent(first)}`)).json<any>();
    expect(before.totals.requests).toBe(0);
    expect(before.records).toEqual([]);
    const other = await (await usage(b.auth)).json<any>();
    expect(other.totals.requests).toBe(1);
  });

  it('422 for a bad range or cursor', async () => {
    const k = await issueKey({ name: 'usage-bad' });
    for (const q of ['?from=yesterday', '?to=2026-13-45', '?from=2026-11-02&to=2026-11-01', '?limit=0', '?limit=5000', '?cursor=nope']) {
      const res = await usage(k.auth, q);
      expect(res.status, q).toBe(422);
      expect((await res.json<any>()).type).toBe('https://gmner.dev/problems/validation');
    }
  });
});

describe('recordUsage (for the job consumer)', () => {
  it('writes the record, counts its units against the quota, once per id, and never bills a 5xx', async () => {
    const k = await issueKey({ name: 'jobs', quota: 3 });
    const rec = { key_id: k.id, request_id: 'job_1:0', route: 'job POST /v1/jobs', units: 2, llm_tokens: 120, model_ms: 900, status: 200, outcome: 'ok', id: 'job_1:0' };
    expect(await recordUsage(env, rec)).toEqual({ recorded: true, id: 'job_1:0' });
    expect(await recordUsage(env, rec)).toEqual({ recorded: true, id: 'job_1:0' }); // a redelivered message
    expect(await recordUsage(env, { ...rec, id: 'job_1:1', status: 502, outcome: 'llm-failed' })).toEqual({ recorded: false });
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'job_1:0', units: 2, llm_tokens: 120, model_ms: 900 });
    // 2 of 3 units used: one more request fits, the next does not.
    const bad = JSON.stringify({ text: '' });
    const r1 = await app.request('/v1/recognize', post(bad, k.auth), env);
    expect(r1.status).toBe(422);
    expect(r1.headers.get('ratelimit')).toMatch(/"monthly";r=0;/);
    expect((await app.request('/v1/recognize', post(bad, k.auth), env)).status).toBe(429);
    const listed = await (await usage(k.auth)).json<any>();
    expect(listed.totals).toMatchObject({ requests: 2, units: 3, llm_tokens: 120 });
  });

  it('rejects units that are not whole numbers', async () => {
    const k = await issueKey({ name: 'jobs-bad' });
    await expect(recordUsage(env, { key_id: k.id, request_id: 'r', route: 'x', units: 1.5, status: 200, outcome: 'ok' })).rejects.toThrow(/units/);
  });
});
