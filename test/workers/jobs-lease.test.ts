/**
 * Jobs that are run once, kept where they fit, found again when stuck and deleted when old (issue 11,
 * item 9): the claim lease, results in R2, the sweeper and the retention purge of the Cron Trigger.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiKeyMeter } from '../../functions/api/accounts/meter';
import worker from '../../functions/api/index';
import { claimJob } from '../../functions/api/jobs/store';
import type { ApiBindings } from '../../functions/api/env';
import { issueKey, llmCalls, recognizeBody, usageRows, type TestKey } from '../support/accounts';
import { deliver, drain, inbox, jobsEnv, jsonPost, received, JOBS_QUEUE } from '../support/jobs';

const app = createApp();
const bindings = env as unknown as { DB: D1Database; RESULTS: R2Bucket; METER: DurableObjectNamespace<ApiKeyMeter> };
const db = bindings.DB;
const reserved = async (k: TestKey) => (await bindings.METER.get(bindings.METER.idFromName(k.id)).usedThisMonth()).reserved;

async function submit(e: ApiBindings, k: TestKey, extra: Record<string, unknown> = {}) {
  const res = await app.request('/v1/jobs', jsonPost({ ...JSON.parse(await recognizeBody()), ...extra }, k.auth), e);
  expect(res.status).toBe(202);
  return (await res.json<any>()) as { id: string; status_url: string };
}
const row = (id: string) => db.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first<any>();
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function cron(e: ApiBindings, at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: at, cron: '*/10 * * * *' }), e, ctx);
  await waitOnExecutionContext(ctx);
}

describe('claiming a job', () => {
  it('a duplicate delivery while a run holds the lease does not run the pipeline; after the lease it is taken over, billed once', async () => {
    const k = await issueKey({ name: 'lease' });
    const { env: e, queue, model } = jobsEnv();
    const { id } = await submit(e, k);
    // Another delivery of the same message is running it.
    expect(await claimJob(db, id, 60_000)).toBe(true);
    const [msg] = queue.messages.splice(0);
    const first = await deliver(e, JOBS_QUEUE, [msg]);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    expect(await llmCalls(model)).toBe(0);
    expect((await row(id)).status).toBe('running');

    // That run crashed: once its lease is over, a delivery takes the job over.
    await db.prepare('UPDATE jobs SET lease_until = ? WHERE id = ?').bind(ago(1000), id).run();
    const second = await deliver(e, JOBS_QUEUE, [{ ...msg, attempts: 2 }]);
    expect(second.explicitAcks).toEqual([msg.id]);
    expect(await llmCalls(model)).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'succeeded', attempts: 2, lease_until: null });
    expect((await usageRows(k.id)).map((r) => r.units)).toEqual([1]);
  });
});

describe('large results', () => {
  it('a result over JOB_RESULT_INLINE_MAX_BYTES goes to R2: GET returns it whole, the callback points to status_url', async () => {
    const k = await issueKey({ name: 'r2-result' });
    const { env: e, queue } = jobsEnv({ extra: { JOB_RESULT_INLINE_MAX_BYTES: '200' } });
    const cb = inbox('r2');
    const { id } = await submit(e, k, { callback_url: cb.url });
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(1);
    const stored = await row(id);
    expect(stored).toMatchObject({ status: 'succeeded', result: null, result_key: `job-results/${id}.json` });
    const object = await bindings.RESULTS.get(stored.result_key);
    expect(object).not.toBeNull();
    const view = await (await app.request(`/v1/jobs/${id}`, { headers: k.auth }, e)).json<any>();
    expect(view.result).toEqual(JSON.parse(await object!.text()));
    expect(view.result.entities.length).toBeGreaterThan(0);
    const [d] = await received(cb.name);
    expect(JSON.parse(d.body).data).toMatchObject({ id, status: 'succeeded', result_omitted: 'too-large' });
    expect((await usageRows(k.id)).map((r) => r.units)).toEqual([1]);
  });

  it('without a RESULTS bucket a too-large result fails the job once (500, not billed, not re-run)', async () => {
    const k = await issueKey({ name: 'r2-missing' });
    const { env: e, queue, model } = jobsEnv({ extra: { JOB_RESULT_INLINE_MAX_BYTES: '200', RESULTS: undefined } });
    const { id } = await submit(e, k);
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(1);
    expect(await llmCalls(model)).toBe(1);
    const stored = await row(id);
    expect(stored.status).toBe('failed');
    expect(JSON.parse(stored.error)).toMatchObject({ status: 500, detail: expect.stringMatching(/RESULTS/) });
    expect(await usageRows(k.id)).toEqual([]);
    expect(await reserved(k)).toBe(0);
  });
});

describe('the Cron Trigger', () => {
  it('re-enqueues a queued job whose message was never sent, once it is JOB_STUCK_AFTER_S past due; it then runs', async () => {
    const k = await issueKey({ name: 'sweep-queued' });
    const { env: e, queue } = jobsEnv({ extra: { JOB_STUCK_AFTER_S: '60' } });
    const { id } = await submit(e, k);
    queue.messages.length = 0; // as if the Worker died between the D1 write and queue.send
    await cron(e);
    expect(queue.messages).toHaveLength(0); // not yet past due
    await db.prepare('UPDATE jobs SET due_at = ? WHERE id = ?').bind(ago(120_000), id).run();
    await cron(e);
    expect(queue.messages.map((m) => m.body)).toEqual([{ v: 1, job_id: id }]);
    await cron(e);
    expect(queue.messages).toHaveLength(1); // due again only after another threshold
    await drain(e, queue);
    expect((await row(id)).status).toBe('succeeded');
    expect((await usageRows(k.id)).map((r) => r.units)).toEqual([1]);
  });

  it('re-enqueues a running job whose lease ran out, and fails one that used up its runs (unit released)', async () => {
    const k = await issueKey({ name: 'sweep-running' });
    const { env: e, queue } = jobsEnv();
    const a = await submit(e, k);
    const b = await submit(e, k);
    queue.messages.length = 0;
    for (const id of [a.id, b.id]) await claimJob(db, id, 1000);
    // claimed when due, 2 s ago, with leases that ran out 1 s ago
    await db.prepare("UPDATE jobs SET due_at = ?, lease_until = ?, attempts = 9 WHERE id = ?").bind(ago(2000), ago(1000), b.id).run();
    await db.prepare('UPDATE jobs SET due_at = ?, lease_until = ? WHERE id = ?').bind(ago(2000), ago(1000), a.id).run();
    expect(await reserved(k)).toBe(2);
    await cron(e);
    expect(queue.messages.map((m) => m.body)).toEqual([{ v: 1, job_id: a.id }]);
    expect(await row(b.id)).toMatchObject({ status: 'failed' });
    expect(JSON.parse((await row(b.id)).error)).toMatchObject({ status: 500 });
    expect(await reserved(k)).toBe(1);
    // re-sent once, not on every cron run while the message waits
    await cron(e);
    expect(queue.messages).toHaveLength(1);
    await drain(e, queue);
    expect((await row(a.id)).status).toBe('succeeded');
    expect(await reserved(k)).toBe(0);
    expect((await usageRows(k.id)).map((r) => r.request_id)).toEqual([a.id]);
  });

  it('purges finished jobs older than JOB_RETENTION_DAYS with their R2 results; keeps newer and unfinished ones', async () => {
    const k = await issueKey({ name: 'purge' });
    const { env: e, queue } = jobsEnv({ extra: { JOB_RESULT_INLINE_MAX_BYTES: '200', JOB_RETENTION_DAYS: '7' } });
    const old = await submit(e, k);
    const recent = await submit(e, k);
    await drain(e, queue);
    const waiting = await submit(e, k);
    const oldKey = (await row(old.id)).result_key;
    expect(await bindings.RESULTS.head(oldKey)).not.toBeNull();
    await db.prepare('UPDATE jobs SET finished_at = ? WHERE id = ?').bind(ago(8 * 86_400_000), old.id).run();
    await db.prepare('UPDATE jobs SET created_at = ? WHERE id = ?').bind(ago(8 * 86_400_000), waiting.id).run();
    await cron(e);
    expect(await row(old.id)).toBeNull();
    expect(await bindings.RESULTS.head(oldKey)).toBeNull();
    expect((await row(recent.id)).status).toBe('succeeded');
    expect(await bindings.RESULTS.head((await row(recent.id)).result_key)).not.toBeNull();
    expect((await row(waiting.id)).status).toBe('queued');
  });
});
