/**
 * The job queue consumer inside workerd: the real pipeline against the recorded LLM, the callback to a real
 * loopback receiver, signatures checked with the reference implementation (`standardwebhooks`), retries with
 * growing delays, the dead-letter path, at-least-once redelivery, billing through recordUsage().
 */
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiBindings } from '../../functions/api/env';
import { signWebhook } from '../../functions/api/jobs';
import { issueKey, llmCalls, recognizeBody, revokeKey, usageRows, type TestKey } from '../support/accounts';
import { encodePng, toBase64, whiteBlock } from '../support/images';
import { DLQ, deliver, drain, inbox, jobsEnv, jsonPost, received } from '../support/jobs';

const app = createApp();

let key: TestKey;
beforeAll(async () => {
  key = await issueKey({ name: 'jobs-consumer' });
});

const headersOf = (h: Record<string, string>) => ({ 'webhook-id': h['webhook-id'], 'webhook-timestamp': h['webhook-timestamp'], 'webhook-signature': h['webhook-signature'] });

async function submit(e: ApiBindings, extra: Record<string, unknown>, k: TestKey = key) {
  const res = await app.request('/v1/jobs', jsonPost({ ...JSON.parse(await recognizeBody()), ...extra }, k.auth), e);
  expect(res.status).toBe(202);
  return (await res.json<any>()) as { id: string; status_url: string };
}
const getJob = async (e: ApiBindings, id: string, k: TestKey = key) => (await app.request(`/v1/jobs/${id}`, { headers: k.auth }, e)).json<any>();
const delays = (rounds: Awaited<ReturnType<typeof drain>>) => rounds.filter((r) => r.queue !== DLQ).flatMap((r) => Object.values(r.retried));

describe('the job consumer', () => {
  it('runs the pipeline, stores the answer, POSTs it signed (verified by standardwebhooks) and bills it once', async () => {
    const k = await issueKey({ name: 'consumer-ok' });
    const { env: e, queue, model } = jobsEnv();
    const cb = inbox('ok');
    const { id, status_url } = await submit(e, { callback_url: cb.url }, k);
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(1);
    expect(rounds[0].result.explicitAcks).toHaveLength(1);
    expect(rounds[0].result.retryMessages).toEqual([]);

    const [delivery, ...more] = await received(cb.name);
    expect(more).toEqual([]);
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The reference implementation, keyed with the key's webhook secret, accepts it ...
    const event = new Webhook(k.webhook_secret).verify(delivery.body, headersOf(delivery.headers)) as any;
    // ... and refuses it under another secret or with the body changed.
    expect(() => new Webhook(key.webhook_secret).verify(delivery.body, headersOf(delivery.headers))).toThrow(/signature/i);
    expect(() => new Webhook(k.webhook_secret).verify(delivery.body.replace('succeeded', 'failed'), headersOf(delivery.headers))).toThrow(/signature/i);

    const job = await getJob(e, id, k);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(1);
    expect(job.callback).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200, last_error: null });
    expect(delivery.headers['webhook-id']).toBe(job.callback.webhook_id);
    expect(event.type).toBe('job.succeeded');
    expect(event.timestamp).toBe(job.finished_at);
    expect(event.data).toMatchObject({ id, status: 'succeeded', origin: 'jobs', status_url, batch_id: null });
    expect(event.data.result).toEqual(job.result);
    expect(job.result.id).toBe(id);
    expect(job.result.entities.map((x: any) => x.text)).toEqual(['Marisol Vega', 'Harold Brandt']);
    expect(job.result.usage.total_tokens).toBeGreaterThan(0);
    expect(await llmCalls(model)).toBeGreaterThan(0);

    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: `job:${id}`, request_id: id, route: 'POST /v1/jobs', units: 1, status: 200, outcome: 'ok', llm_tokens: job.result.usage.total_tokens });
  });

  it('signs exactly as the reference implementation does (same id, time and body give the same header)', async () => {
    const secret = key.webhook_secret;
    const at = new Date('2026-11-20T10:00:00Z');
    const body = JSON.stringify({ type: 'job.succeeded', data: { ü: 'ñ', n: 1 } });
    const ours = await signWebhook(secret, 'msg_abc', body, at);
    expect(ours['webhook-signature']).toBe(new Webhook(secret).sign('msg_abc', at, body));
    expect(ours['webhook-timestamp']).toBe(String(at.getTime() / 1000));
  });

  it('retries a callback answered non-2xx with growing delays, same webhook-id and bytes, without rerunning the pipeline', async () => {
    const { env: e, queue, model } = jobsEnv();
    const cb = inbox('flaky', 'fail=3');
    const { id } = await submit(e, { callback_url: cb.url });
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(4);
    const asked = delays(rounds);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toBeGreaterThanOrEqual(1);
    expect(asked[1]).toBeGreaterThan(asked[0]!);
    expect(asked[2]).toBeGreaterThan(asked[1]!);

    const deliveries = await received(cb.name);
    expect(deliveries.map((d) => d.answered)).toEqual([503, 503, 503, 200]);
    expect(new Set(deliveries.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    for (const d of deliveries) expect(() => new Webhook(key.webhook_secret).verify(d.body, headersOf(d.headers))).not.toThrow();

    const calls = await llmCalls(model);
    expect(calls).toBeGreaterThan(0);
    const job = await getJob(e, id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(job.callback).toMatchObject({ status: 'delivered', attempts: 4, last_status: 200 });
    // One pipeline run: the LLM saw as many calls as a single recognition makes.
    const single = jobsEnv();
    await submit(single.env, {});
    await drain(single.env, single.queue);
    expect(calls).toBe(await llmCalls(single.model));
  });

  it('after the last attempt: the dead-letter queue, status failed, the result kept', async () => {
    const k = await issueKey({ name: 'consumer-dlq' });
    const { env: e, queue } = jobsEnv();
    const cb = inbox('down', 'status=500');
    const { id } = await submit(e, { callback_url: cb.url }, k);
    const rounds = await drain(e, queue);
    // 1 + max_retries (8) deliveries, then the dead-letter consumer.
    expect(rounds.filter((r) => r.queue !== DLQ)).toHaveLength(9);
    expect(rounds.at(-1)!.queue).toBe(DLQ);
    expect(rounds.at(-1)!.result.explicitAcks).toHaveLength(1);
    const asked = delays(rounds);
    expect(asked).toHaveLength(9);
    for (let i = 1; i < 8; i++) expect(asked[i]!).toBeGreaterThan(asked[i - 1]!);

    expect((await received(cb.name)).map((d) => d.answered)).toEqual(Array(9).fill(500));
    const job = await getJob(e, id, k);
    expect(job.status).toBe('failed');
    expect(job.error.type).toBe('https://gmner.dev/problems/callback-failed');
    expect(job.error.detail).toMatch(/after 9 attempt/);
    expect(job.error.callback_status).toBe(500);
    expect(job.result.entities.length).toBeGreaterThan(0);
    expect(job.callback).toMatchObject({ status: 'failed', attempts: 9, last_status: 500, delivered_at: null });
    // The work was done: billed once, whatever happened to the callback.
    expect((await usageRows(k.id)).map((r) => r.id)).toEqual([`job:${id}`]);
  });

  it('treats a timeout as a failed attempt and honours Retry-After', async () => {
    const slow = jobsEnv({ extra: { CALLBACK_TIMEOUT_MS: '300' } });
    const cb = inbox('slow', 'delay_ms=2000');
    const { id } = await submit(slow.env, { callback_url: cb.url });
    const [first] = await drain(slow.env, slow.queue, { maxRounds: 1 });
    expect(first.result.retryMessages).toHaveLength(1);
    const job = await getJob(slow.env, id);
    expect(job.status).toBe('delivering');
    expect(job.result).not.toBeNull();
    expect(job.callback).toMatchObject({ status: 'pending', attempts: 1, last_status: null, last_error: 'no answer within 300 ms' });

    const busy = jobsEnv();
    const cb2 = inbox('busy', 'status=429&retry_after=90');
    await submit(busy.env, { callback_url: cb2.url });
    const [r] = await drain(busy.env, busy.queue, { maxRounds: 1 });
    expect(r.result.retryMessages[0].delaySeconds).toBe(90);
  });

  it('410 Gone ends the job at once (failed, no retry); a redirect is not followed', async () => {
    const { env: e, queue } = jobsEnv();
    const gone = inbox('gone', 'status=410');
    const { id } = await submit(e, { callback_url: gone.url });
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(1);
    expect(rounds[0].result.explicitAcks).toHaveLength(1);
    const job = await getJob(e, id);
    expect(job.status).toBe('failed');
    expect(job.error.type).toMatch(/callback-failed$/);
    expect(job.callback.last_status).toBe(410);

    const moved = inbox('moved', 'status=302');
    await submit(e, { callback_url: moved.url });
    const [r] = await drain(e, queue, { maxRounds: 1 });
    expect(r.result.retryMessages).toHaveLength(1);
    expect(await received(`${moved.name}-redirected`)).toEqual([]);
  });

  it('retries a transient pipeline failure (LLM 503), then succeeds on the next delivery', async () => {
    const { env: e, queue } = jobsEnv({ behaviour: 'fail503?times=1', extra: { LLM_MAX_RETRIES: '0' } });
    const cb = inbox('transient');
    const { id } = await submit(e, { callback_url: cb.url });
    const [first] = await drain(e, queue, { maxRounds: 1 });
    expect(first.result.retryMessages).toHaveLength(1);
    const waiting = await getJob(e, id);
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1, result: null, error: null });
    expect(waiting.last_error.status).toBeGreaterThanOrEqual(500);
    expect(await received(cb.name)).toEqual([]);

    await drain(e, queue);
    const job = await getJob(e, id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, last_error: null });
    expect((await received(cb.name)).map((d) => JSON.parse(d.body).type)).toEqual(['job.succeeded']);
  });

  it('an LLM that never recovers: dead letter, failed with its problem, and one job.failed callback', async () => {
    const k = await issueKey({ name: 'consumer-llm-down' });
    const { env: e, queue } = jobsEnv({ behaviour: 'fail503', extra: { LLM_MAX_RETRIES: '0' } });
    const cb = inbox('llm-down');
    const { id } = await submit(e, { callback_url: cb.url }, k);
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => (errors.push(a.map(String).join(' ')), error(...a));
    let rounds: Awaited<ReturnType<typeof drain>>;
    try {
      rounds = await drain(e, queue);
    } finally {
      console.error = error;
    }
    expect(rounds.at(-1)!.queue).toBe(DLQ);
    const job = await getJob(e, id, k);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(9);
    // The provider's own words are not in the detail but in the log, under the job id.
    const logged = errors.map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter((l) => l?.request_id === id);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatchObject({ level: 'error', problem: job.error.type.slice(job.error.type.lastIndexOf('/') + 1), detail: job.error.detail });
    expect(logged[0].cause.length).toBeGreaterThan(0);
    expect(job.error.status).toBeGreaterThanOrEqual(500);
    expect(job.error.type).toMatch(/llm-/);
    const deliveries = await received(cb.name);
    expect(deliveries).toHaveLength(1);
    const event = new Webhook(k.webhook_secret).verify(deliveries[0].body, headersOf(deliveries[0].headers)) as any;
    expect(event.type).toBe('job.failed');
    expect(event.data.error.type).toBe(job.error.type);
    // Our failure is not billed.
    expect(await usageRows(k.id)).toEqual([]);
  });

  it('a permanent failure (an unreadable image) is the outcome: job.failed delivered once, no retries, billed as 4xx', async () => {
    const k = await issueKey({ name: 'consumer-bad-image' });
    const { env: e, queue } = jobsEnv();
    const cb = inbox('bad-image');
    const gif = toBase64(new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;'));
    const res = await app.request('/v1/jobs', jsonPost({ text: 'Kevin Durant arrives', image: { data: gif }, callback_url: cb.url }, k.auth), e);
    const { id } = await res.json<any>();
    const rounds = await drain(e, queue);
    expect(rounds).toHaveLength(1);
    const job = await getJob(e, id, k);
    expect(job.status).toBe('failed');
    expect(job.error.type).toBe('https://gmner.dev/problems/image-unsupported');
    const [d] = await received(cb.name);
    const event = new Webhook(k.webhook_secret).verify(d.body, headersOf(d.headers)) as any;
    expect(event).toMatchObject({ type: 'job.failed', data: { id, status: 'failed', error: { type: job.error.type, status: 415 } } });
    expect(event.data.result).toBeUndefined();
    expect(await usageRows(k.id)).toMatchObject([{ id: `job:${id}`, status: 415, outcome: 'image-unsupported', units: 1 }]);
  });

  it('a redelivered message (at least once) neither reruns the job nor calls back again', async () => {
    const k = await issueKey({ name: 'consumer-dup' });
    const { env: e, queue, model } = jobsEnv();
    const cb = inbox('dup');
    const { id } = await submit(e, { callback_url: cb.url }, k);
    const message = { ...queue.messages[0] };
    await drain(e, queue);
    const calls = await llmCalls(model);
    const again = await deliver(e, 'gmner-jobs', [{ ...message, id: 'redelivered' }]);
    expect(again.explicitAcks).toEqual(['redelivered']);
    expect(await llmCalls(model)).toBe(calls);
    expect(await received(cb.name)).toHaveLength(1);
    expect(await usageRows(k.id)).toHaveLength(1);
  });

  it('two deliveries of one message at once still bill once and keep one stable webhook-id', async () => {
    const k = await issueKey({ name: 'consumer-race' });
    const { env: e, queue } = jobsEnv();
    const cb = inbox('race');
    const { id } = await submit(e, { callback_url: cb.url }, k);
    const m = queue.messages[0];
    await Promise.all([deliver(e, 'gmner-jobs', [{ ...m, id: 'a' }]), deliver(e, 'gmner-jobs', [{ ...m, id: 'b' }])]);
    const deliveries = await received(cb.name);
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    expect(new Set(deliveries.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect((await getJob(e, id, k)).status).toBe('succeeded');
    expect(await usageRows(k.id)).toHaveLength(1);
  });

  it('a job of a key revoked before it ran fails without running, calling back or billing', async () => {
    const k = await issueKey({ name: 'consumer-revoked' });
    const { env: e, queue, model } = jobsEnv();
    const cb = inbox('revoked');
    const { id } = await submit(e, { callback_url: cb.url }, k);
    await revokeKey(k.id);
    await drain(e, queue);
    const row = await (env as unknown as { DB: D1Database }).DB.prepare('SELECT status, error FROM jobs WHERE id = ?').bind(id).first<any>();
    expect(row.status).toBe('failed');
    expect(JSON.parse(row.error).type).toMatch(/key-revoked$/);
    expect(await llmCalls(model)).toBe(0);
    expect(await received(cb.name)).toEqual([]);
    expect(await usageRows(k.id)).toEqual([]);
  });

  it('a batch calls back once per item, each with its own webhook-id, batch id and index', async () => {
    const { env: e, queue } = jobsEnv();
    const cb = inbox('batch');
    const one = JSON.parse(await recognizeBody());
    const res = await app.request('/v1/batch', jsonPost({ items: [one, one, one], callback_url: cb.url }, key.auth), e);
    const batch = await res.json<any>();
    await drain(e, queue);
    const events = (await received(cb.name)).map((d) => ({ id: d.headers['webhook-id'], event: new Webhook(key.webhook_secret).verify(d.body, headersOf(d.headers)) as any }));
    expect(events).toHaveLength(3);
    expect(new Set(events.map((x) => x.id)).size).toBe(3);
    expect(events.map((x) => x.event.data.batch_index).sort()).toEqual([0, 1, 2]);
    expect(new Set(events.map((x) => x.event.data.id))).toEqual(new Set(batch.jobs.map((j: any) => j.id)));
    for (const x of events) expect(x.event.data).toMatchObject({ batch_id: batch.id, origin: 'batch', status: 'succeeded' });
  });

  it('keeps callbacks small: over CALLBACK_MAX_BYTES the event omits the result and points at status_url', async () => {
    const { env: e, queue } = jobsEnv({ extra: { CALLBACK_MAX_BYTES: '600' } });
    const cb = inbox('thin');
    const { id, status_url } = await submit(e, { callback_url: cb.url });
    await drain(e, queue);
    const [d] = await received(cb.name);
    expect(new TextEncoder().encode(d.body).byteLength).toBeLessThanOrEqual(600);
    const event = new Webhook(key.webhook_secret).verify(d.body, headersOf(d.headers)) as any;
    expect(event.data).toMatchObject({ id, status: 'succeeded', status_url, result_omitted: 'too-large' });
    expect(event.data.result).toBeUndefined();
    expect((await getJob(e, id)).result.entities.length).toBeGreaterThan(0);
  });

  it('a job without callback_url succeeds once its result is stored', async () => {
    const { env: e, queue } = jobsEnv();
    const { id } = await submit(e, {});
    await drain(e, queue);
    const job = await getJob(e, id);
    expect(job).toMatchObject({ status: 'succeeded', callback: null, error: null });
    expect(job.result.entities.length).toBeGreaterThan(0);
  });

  it('runs the fixture vision models in a job: boxes and masks in the stored result', async () => {
    const { env: e, queue } = jobsEnv({ extra: { MODEL_SET: 'fixtures' } });
    const image = whiteBlock();
    const res = await app.request('/v1/jobs', jsonPost({ text: JSON.parse(await recognizeBody()).text, image: { data: toBase64(await encodePng(image)) }, options: { masks: true } }, key.auth), e);
    const { id } = await res.json<any>();
    await drain(e, queue);
    const job = await getJob(e, id);
    expect(job.status).toBe('succeeded');
    expect(job.result.models.entail).toMatchObject({ configured: true, loaded: true });
    expect(job.result.entities.some((x: any) => x.box && x.mask)).toBe(true);
  });
});
