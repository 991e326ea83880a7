/**
 * Fault: the queue consumer dies part-way through a job, after it stored the outcome and before the message
 * was acked. The crash is a D1 statement that throws at a chosen point of the production consumer (as an
 * isolate killed there would leave it: the steps before are written, the message is not acked); the platform
 * then redelivers the message. Each time: the pipeline ran once, the result is kept, one usage record and
 * one meter unit (the key's quota of 2 leaves room for exactly one more request), the job ends succeeded.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiBindings } from '../../functions/api/env';
import { issueKey, llmCalls, recognizeBody, usageRows } from '../support/accounts';
import { drain, inbox, jobsEnv, jsonPost, received } from '../support/jobs';

const app = createApp();

/** env.DB whose first statement matching `crashAt` (checked after `armedBy` was prepared, if given) throws. */
function crashingDb(db: D1Database, crashAt: (sql: string) => boolean, armedBy?: (sql: string) => boolean) {
  const state = { armed: !armedBy, crashes: 0 };
  const crash = async () => {
    throw new Error('the consumer died here (test)');
  };
  const dead = { bind: () => dead, run: crash, first: crash, all: crash, raw: crash };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          if (state.armed && !state.crashes && crashAt(sql)) {
            state.crashes++;
            return dead;
          }
          if (armedBy?.(sql)) state.armed = true;
          return target.prepare(sql);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { db: proxy as D1Database, state };
}

const POINTS = [
  { name: 'after storing the outcome, before billing', crashAt: () => true, armedBy: (sql: string) => sql.includes("status = 'delivering'"), callbacks: 1 },
  { name: 'after the usage record, before marking the job billed', crashAt: (sql: string) => sql.startsWith('UPDATE jobs SET billed'), callbacks: 1 },
  // The callback was answered 2xx but the job not yet marked succeeded: delivery is at least once, so the
  // receiver may hear it twice, under the same webhook-id.
  { name: 'after the callback was delivered, before the job was marked succeeded', crashAt: (sql: string) => sql.startsWith('UPDATE jobs SET status = ?'), callbacks: 2 },
];

describe('fault: the queue consumer crashes between storing an outcome and acking', () => {
  for (const p of POINTS) {
    it(`${p.name}: redelivery neither reruns nor bills twice nor loses the result`, async () => {
      const k = await issueKey({ name: `faults-queue-${p.callbacks}-${p.name.length}`, quota: 2 });
      const { env: base, queue, model } = jobsEnv();
      const crash = crashingDb(base.DB as D1Database, p.crashAt, p.armedBy);
      const e = { ...base, DB: crash.db } as ApiBindings;
      const cb = inbox('crash');
      const sub = await app.request('/v1/jobs', jsonPost({ ...JSON.parse(await recognizeBody()), callback_url: cb.url }, k.auth), e);
      expect(sub.status).toBe(202);
      const { id } = await sub.json<{ id: string }>();

      const rounds = await drain(e, queue);
      expect(crash.state.crashes).toBe(1);
      expect(rounds.length).toBe(2); // the crashed delivery was retried, not acked; the second finished
      expect(rounds[0].result.retryMessages).toHaveLength(1);
      expect(rounds[1].result.explicitAcks).toHaveLength(1);

      const job = await (await app.request(`/v1/jobs/${id}`, { headers: k.auth }, e)).json<any>();
      expect(job.status).toBe('succeeded');
      expect(job.attempts).toBe(1);
      expect(job.result.entities.map((x: { text: string }) => x.text)).toEqual(['Marisol Vega', 'Harold Brandt']);
      expect(await llmCalls(model)).toBe(1);
      const deliveries = await received(cb.name);
      expect(deliveries).toHaveLength(p.callbacks);
      expect(new Set(deliveries.map((d) => d.headers['webhook-id']))).toEqual(new Set([job.callback.webhook_id]));

      expect(await usageRows(k.id)).toHaveLength(1);
      // The meter holds one unit, not two: one more post fits the quota of 2, the next does not.
      expect((await app.request('/v1/recognize', jsonPost(await recognizeBody(), k.auth), e)).status).toBe(200);
      expect((await app.request('/v1/recognize', jsonPost(await recognizeBody(), k.auth), e)).status).toBe(429);
    });
  }
});
