/**
 * Exact per-key limits inside workerd (the ApiKeyMeter Durable Object): monthly quota exhaustion,
 * the RateLimit-Policy / RateLimit / Retry-After headers, the rate window, exactness under concurrent
 * requests, and that answers failing through our fault give their unit back.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, llmCalls, llmEnv, migrate, post, recognizeBody, usageRows } from '../support/accounts';

const app = createApp();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** env without an LLM: POST /v1/recognize with a valid body answers 503 (our side, not billed). */
const noLlm = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('LLM_')));

function month() {
  const d = new Date();
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { window: (end - start) / 1000, untilEnd: (end - Date.now()) / 1000 };
}
/** `"name";r=N;t=N, ...` -> { name: { r, t } } */
function parseRateLimit(h: string | null): Record<string, { r: number; t: number }> {
  const out: Record<string, { r: number; t: number }> = {};
  for (const item of (h ?? '').split(/,\s*/)) {
    const m = item.match(/^"([^"]+)";r=(\d+);t=(\d+)$/);
    if (m) out[m[1]] = { r: Number(m[2]), t: Number(m[3]) };
  }
  return out;
}

beforeAll(migrate);

describe('monthly quota', () => {
  it('counts down in RateLimit headers, then answers 429 quota-exceeded with Retry-After until the month ends', async () => {
    const k = await issueKey({ name: 'quota-2', quota: 2 });
    const { env: e, model } = llmEnv();
    const { window, untilEnd } = month();
    for (const expected of [1, 0]) {
      const res = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), e);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"rate";q=60;w=60, "monthly";q=2;w=${window}`);
      const rl = parseRateLimit(res.headers.get('ratelimit'));
      expect(rl.monthly.r).toBe(expected);
      expect(Math.abs(rl.monthly.t - untilEnd)).toBeLessThan(30);
      expect(res.headers.get('retry-after')).toBeNull();
    }
    const res = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), e);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Math.abs(retryAfter - untilEnd)).toBeLessThan(30);
    const rl = parseRateLimit(res.headers.get('ratelimit'));
    expect(rl.monthly).toEqual({ r: 0, t: retryAfter });
    const body = await res.json<any>();
    expect(body).toMatchObject({ type: 'https://gmner.dev/problems/quota-exceeded', status: 429, 'violated-policies': ['monthly'] });
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    // The refused request never reached the LLM, and was not billed.
    expect(await llmCalls(model)).toBe(2);
    expect((await usageRows(k.id)).map((r) => r.units)).toEqual([1, 1]);
    // Reading is never blocked by the quota.
    const usage = await exports.default.fetch('http://x/v1/usage', { headers: k.auth });
    expect(usage.status).toBe(200);
    expect(parseRateLimit(usage.headers.get('ratelimit')).monthly.r).toBe(0);
  });

  it('gives the unit back when the answer fails through our fault (5xx): not billed, no record', async () => {
    const k = await issueKey({ name: 'quota-1', quota: 1 });
    const failed = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), noLlm);
    expect(failed.status).toBe(503);
    const after = await app.request('/v1/models', { headers: k.auth }, env);
    expect(parseRateLimit(after.headers.get('ratelimit')).monthly.r).toBe(1);
    expect(await usageRows(k.id)).toEqual([]);
    const ok = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), llmEnv().env);
    expect(ok.status).toBe(200);
    expect((await app.request('/v1/recognize', post(await recognizeBody(), k.auth), llmEnv().env)).status).toBe(429);
  });

  it('bills client errors of the route (422) and never overshoots under concurrent requests', async () => {
    const k = await issueKey({ name: 'quota-5', quota: 5 });
    const bad = JSON.stringify({ text: '', image: { url: 'not a url' } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => exports.default.fetch('http://x/v1/recognize', post(bad, k.auth))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 422)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    // Usage records are written after the answer (waitUntil): wait for all five.
    let rows: Record<string, any>[] = [];
    for (let i = 0; i < 50 && rows.length < 5; i++, await sleep(20)) rows = await usageRows(k.id);
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.outcome === 'validation' && r.units === 1 && r.status === 422)).toBe(true);
  });

  it('sends no monthly policy for a key without a quota', async () => {
    const k = await issueKey({ name: 'unlimited' });
    const res = await app.request('/v1/models', { headers: k.auth }, env);
    expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=60;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"rate";r=59;t=\d+$/);
  });
});

describe('rate limit', () => {
  it("limits every /v1 request to the key's rate per window, then lets it through again after Retry-After", async () => {
    const k = await issueKey({ name: 'rate-3', rateLimit: 3 });
    const e = { ...env, RATE_LIMIT_WINDOW_S: '2' };
    await sleep(2000 - (Date.now() % 2000) + 30); // start at the beginning of a window
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/v1/models', { headers: k.auth }, e);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=2');
      remaining.push(parseRateLimit(res.headers.get('ratelimit')).rate.r);
    }
    expect(remaining).toEqual([2, 1, 0]);
    const limited = await app.request('/v1/usage', { headers: k.auth }, e);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(parseRateLimit(limited.headers.get('ratelimit')).rate).toEqual({ r: 0, t: retryAfter });
    expect(await limited.json()).toMatchObject({ type: 'https://gmner.dev/problems/rate-limited', 'violated-policies': ['rate'] });
    await sleep(retryAfter * 1000 + 50);
    expect((await app.request('/v1/models', { headers: k.auth }, e)).status).toBe(200);
  });

  it('takes the default from RATE_LIMIT_REQUESTS, per key', async () => {
    const a = await issueKey({ name: 'default-rate-a' });
    const b = await issueKey({ name: 'default-rate-b' });
    const e = { ...env, RATE_LIMIT_REQUESTS: '2', RATE_LIMIT_WINDOW_S: '3600' };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.request('/v1/models', { headers: a.auth }, e)).status);
    expect(codes).toEqual([200, 200, 429]);
    expect((await app.request('/v1/models', { headers: b.auth }, e)).status).toBe(200);
  });
});
