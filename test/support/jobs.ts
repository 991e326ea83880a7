/**
 * Jobs in the workerd tests. Keys come from the accounts support (real rows in this file's D1). The queue:
 * the routes send to `JOBS`; in these tests `JOBS` is a held queue that keeps the messages, and `drain()`
 * hands them to the production `queue()` handler as the platform would (createMessageBatch /
 * getQueueResult from cloudflare:test): acked messages leave, retried ones come back with attempts + 1,
 * and a message retried past `maxRetries` goes to the dead-letter queue's handler (as wrangler.toml's
 * max_retries does). Holding the messages keeps miniflare's own consumer, which runs with the wrangler
 * env (no LLM), from racing the test; one test (jobs-queue) uses the real queue binding end to end.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult } from 'cloudflare:test';
import worker from '../../functions/api/index';
import type { ApiBindings } from '../../functions/api/env';
import { CALLBACK_ORIGIN, type ReceivedCallback } from '../setup/callbacks-config';
import { llmEnv } from './accounts';

/** The accounts tests' JSON POST, under the name the job tests use. */
export { post as jsonPost } from './accounts';

export const JOBS_QUEUE = 'gmner-jobs';
export const DLQ = 'gmner-jobs-dlq';
/** As wrangler.toml's gmner-jobs consumer. */
export const MAX_RETRIES = 8;

export interface HeldMessage {
  id: string;
  body: unknown;
  attempts: number;
  /** The delay the consumer asked for when it last retried this message. */
  delaySeconds?: number;
}

export class HeldQueue {
  messages: HeldMessage[] = [];
  dead: HeldMessage[] = [];
  sent = 0;
  private n = 0;
  /** Makes the next send fail, as a queue outage would. */
  failNext = false;

  private take(body: unknown) {
    this.sent++;
    this.messages.push({ id: `m${++this.n}-${Date.now()}`, body, attempts: 1 });
  }
  async send(body: unknown): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Queue send failed (test)');
    }
    this.take(structuredClone(body));
  }
  async sendBatch(messages: Iterable<MessageSendRequest>): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Queue sendBatch failed (test)');
    }
    for (const m of messages) this.take(structuredClone(m.body));
  }
}

let inboxN = 0;
/** A fresh inbox on the loopback receiver; `query` picks its behaviour (see test/setup/callbacks-config.ts). */
export function inbox(name: string, query = ''): { name: string; url: string } {
  const unique = `${name}-${++inboxN}-${Date.now()}`;
  return { name: unique, url: `${CALLBACK_ORIGIN}/hook/${encodeURIComponent(unique)}${query ? `?${query}` : ''}` };
}

export async function received(name: string): Promise<ReceivedCallback[]> {
  return (await fetch(`${CALLBACK_ORIGIN}/__inbox/${encodeURIComponent(name)}`)).json();
}

/** The env of a test: the recorded LLM, loopback callbacks allowed, short retry delays, a held queue. */
export function jobsEnv(opts: { behaviour?: string; extra?: Record<string, unknown> } = {}) {
  const { env, model } = llmEnv(opts.behaviour ?? 'recorded');
  const queue = new HeldQueue();
  const e = { ...env, ALLOW_INSECURE_CALLBACK_URLS: 'true', JOB_RETRY_DELAYS: '1,2,4,8,16,32,64,128', JOBS: queue, ...opts.extra } as unknown as ApiBindings;
  return { env: e, queue, model };
}

export interface Round {
  queue: string;
  result: Delivery;
  /** message id -> delay asked for, for the messages retried in this round */
  retried: Record<string, number | undefined>;
}

export type Delivery = QueueResult & { retryMessages: { msgId: string; delaySeconds?: number }[] };

/**
 * One delivery of `messages` to the production handler, as a batch from `queueName`. The plugin's
 * getQueueResult does not report the delay passed to `msg.retry()`, so it is recorded here.
 */
export async function deliver(env: ApiBindings, queueName: string, messages: HeldMessage[]): Promise<Delivery> {
  const batch = createMessageBatch(queueName, messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts, body: m.body })));
  const asked = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    Object.defineProperty(m, 'retry', { value: (o?: QueueRetryOptions) => { asked.set(m.id, o?.delaySeconds); retry(o); } });
  }
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<unknown>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryMessages: result.retryMessages.map((r) => ({ msgId: r.msgId, delaySeconds: asked.get(r.msgId) })) };
}

/**
 * Delivers the held messages until none is left (or `maxRounds`), moving a message retried more than
 * `maxRetries` times to the dead-letter handler. Retry delays are recorded, not waited for.
 */
export async function drain(env: ApiBindings, queue: HeldQueue, opts: { maxRounds?: number; maxRetries?: number } = {}): Promise<Round[]> {
  const rounds: Round[] = [];
  const maxRetries = opts.maxRetries ?? MAX_RETRIES;
  for (let i = 0; i < (opts.maxRounds ?? 50) && queue.messages.length; i++) {
    const batch = queue.messages.splice(0);
    const result = await deliver(env, JOBS_QUEUE, batch);
    const retried: Record<string, number | undefined> = {};
    for (const r of result.retryMessages) retried[r.msgId] = r.delaySeconds;
    for (const m of batch) {
      const acked = result.ackAll || result.explicitAcks.includes(m.id);
      const retry = !acked && (result.retryBatch.retry || m.id in retried);
      if (!retry) continue;
      const next = { ...m, attempts: m.attempts + 1, delaySeconds: retried[m.id] ?? result.retryBatch.delaySeconds };
      if (m.attempts > maxRetries) queue.dead.push(next);
      else queue.messages.push(next);
    }
    rounds.push({ queue: JOBS_QUEUE, result, retried });
    if (queue.dead.length) {
      const dead = queue.dead.splice(0);
      rounds.push({ queue: DLQ, result: await deliver(env, DLQ, dead), retried: {} });
    }
  }
  return rounds;
}
