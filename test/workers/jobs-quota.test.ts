/**
 * Quotas hold for asynchronous work (issue 11, item 2): a job reserves its unit when it is accepted and
 * keeps it while queued, a batch reserves one unit per item, the consumer runs a job only with its unit
 * held, a job billed commits its unit and a job failed through our fault gives it back.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiBindings } from '../../functions/api/env';
import type { ApiKeyMeter } from '../../functions/api/accounts/meter';
import { issueKey, llmCalls, recognizeBody, usageRows, type TestKey } from '../support/accounts';
import { drain, jobsEnv, jsonPost } from '../support/jobs';

const app = createApp();
const METER = (env as unknown as { METER: DurableObjectNamespace<ApiKeyMeter> }).METER;
const meter = (k: TestKey) => METER.get(METER.idFromName(k.id));
const used = async (k: TestKey) => {
  const u = await meter(k).usedThisMonth();
  return { used: u.used, reserved: u.reserved };
};

const job = async (e: ApiBindings, k: TestKey) => app.request('/v1/jobs', jsonPost(JSON.parse(await recognizeBody()), k.auth), e);
const batch = async (e: ApiBindings, k: TestKey, n: number) => {
  const item = JSON.parse(await recognizeBody());
  return app.request('/v1/batch', jsonPost({ items: Array.from({ length: n }, () => item) }, k.auth), e);
};

describe('quotas for jobs and batches', () => {
  it('a queued job holds its unit: a key with quota 3 queues 3 jobs, the 4th is 429 quota-exceeded; running them bills exactly 3', async () => {
    const k = await issueKey({ name: 'jobs-quota', quota: 3 });
    const { env: e, queue } = jobsEnv();
    for (let i = 0; i < 3; i++) expect((await job(e, k)).status).toBe(202);
    expect(await used(k)).toEqual({ used: 0, reserved: 3 });
    const refused = await job(e, k);
    expect(refused.status).toBe(429);
    expect((await refused.json<any>()).type).toBe('https://gmner.dev/problems/quota-exceeded');
    expect(queue.sent).toBe(3);

    await drain(e, queue);
    expect(await used(k)).toEqual({ used: 3, reserved: 0 });
    const rows = await usageRows(k.id);
    expect(rows.map((r) => r.units)).toEqual([1, 1, 1]);
    expect((await job(e, k)).status).toBe(429);
  });

  it('a batch reserves one unit per item: refused whole (429, nothing queued) when they do not all fit', async () => {
    const k = await issueKey({ name: 'batch-quota', quota: 3 });
    const { env: e, queue } = jobsEnv();
    const big = await batch(e, k, 4);
    expect(big.status).toBe(429);
    const body = await big.json<any>();
    expect(body).toMatchObject({ type: 'https://gmner.dev/problems/quota-exceeded', cost_units: 4, remaining_units: 3 });
    expect(big.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(queue.sent).toBe(0);
    expect(await used(k)).toEqual({ used: 0, reserved: 0 });

    expect((await batch(e, k, 3)).status).toBe(202);
    expect(await used(k)).toEqual({ used: 0, reserved: 3 });
    expect((await job(e, k)).status).toBe(429);
    await drain(e, queue);
    expect(await used(k)).toEqual({ used: 3, reserved: 0 });
    expect((await usageRows(k.id)).reduce((n, r) => n + r.units, 0)).toBe(3);
  });

  it('concurrent batches reserve their whole cost at admission: 20 batches of 2 against a quota of 10 accept exactly 5', async () => {
    // Reserving 1 at admission and growing to 2 in the route let every batch hold a unit the others needed:
    // all 20 were refused and nothing was billed (found by npm run bench -- load).
    const k = await issueKey({ name: 'batch-concurrent', quota: 10 });
    const { env: e, queue } = jobsEnv();
    const answers = await Promise.all(Array.from({ length: 20 }, () => batch(e, k, 2)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(await used(k)).toEqual({ used: 0, reserved: 10 });
    await drain(e, queue);
    expect(await used(k)).toEqual({ used: 10, reserved: 0 });
  });

  it('a job that fails through our fault (dead-lettered) gives its unit back: not billed', async () => {
    const k = await issueKey({ name: 'jobs-release', quota: 1 });
    const { env: e, queue } = jobsEnv({ behaviour: 'fail503', extra: { LLM_MAX_RETRIES: '0' } });
    expect((await job(e, k)).status).toBe(202);
    expect(await used(k)).toEqual({ used: 0, reserved: 1 });
    await drain(e, queue, { maxRetries: 2 });
    expect(await used(k)).toEqual({ used: 0, reserved: 0 });
    expect(await usageRows(k.id)).toEqual([]);
    // The unit is back: the key can use it.
    expect((await job(e, k)).status).toBe(202);
  });

  it('the consumer does not run a job whose hold ran out once the quota is used up: failed 429, not billed, LLM not called', async () => {
    const k = await issueKey({ name: 'jobs-consumer-quota', quota: 1 });
    const { env: e, queue, model } = jobsEnv();
    const res = await job(e, k);
    expect(res.status).toBe(202);
    const { id } = await res.json<any>();
    // As if the hold had expired and another request had taken the last unit meanwhile.
    await meter(k).release([`job:${id}`]);
    await meter(k).commit({ id: 'other-work', units: 1 });
    await drain(e, queue);
    expect(await llmCalls(model)).toBe(0);
    const view = await (await app.request(`/v1/jobs/${id}`, { headers: k.auth }, e)).json<any>();
    expect(view).toMatchObject({ status: 'failed', error: { type: 'https://gmner.dev/problems/quota-exceeded', status: 429 } });
    expect(await usageRows(k.id)).toEqual([]);
    expect(await used(k)).toEqual({ used: 1, reserved: 0 });
  });
});
