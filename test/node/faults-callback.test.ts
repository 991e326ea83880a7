/**
 * Fault, against the service as `npm start` runs it (wrangler dev, its local queue and consumer): the
 * callback receiver first hangs past CALLBACK_TIMEOUT_MS, then answers 500, then 200. The job ends
 * `succeeded` with 3 callback attempts, the pipeline ran once, it is billed once, and every attempt carried
 * the same webhook-id and a signature the reference implementation (standardwebhooks) accepts.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegBase64 } from '../../scripts/bench/test-card';
import { startLlmServer, type LlmServerHandle } from '../llm-server/server';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { listenOnLoopback } from '../setup/free-ports';
import { createKey, startWranglerDev, type CreatedKey, type DevServer } from '../support/wrangler-dev';

const state = mkdtempSync(join(tmpdir(), 'gmner-faults-callback-'));
const TIMEOUT_MS = 1500;
let llm: LlmServerHandle | undefined;
let dev: DevServer | undefined;
let key: CreatedKey;
let receiver: Server;
let receiverUrl = '';
const deliveries: { at: number; headers: Record<string, string>; body: string; answered: string }[] = [];
/** hang (past the timeout), then 500, then 200 */
const PLAN = ['hang', '500', '200'] as const;

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const step = PLAN[Math.min(deliveries.length, PLAN.length - 1)];
    deliveries.push({ at: Date.now(), headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), answered: step });
    if (step === 'hang') {
      setTimeout(() => res.destroy(), TIMEOUT_MS * 4).unref();
      return;
    }
    res.writeHead(Number(step), { 'content-type': 'application/json' }).end('{}');
  });
  receiverUrl = `${await listenOnLoopback(receiver)}/hook`;
  llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  key = await createKey(state, { name: 'faults-callback' });
  dev = await startWranglerDev({
    state,
    vars: {
      LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded',
      ALLOW_INSECURE_CALLBACK_URLS: 'true', CALLBACK_TIMEOUT_MS: String(TIMEOUT_MS), JOB_RETRY_DELAYS: '1,1,1,1,1,1,1,1',
    },
  });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  await llm?.close();
  receiver?.closeAllConnections();
  receiver?.close();
  rmSync(state, { recursive: true, force: true });
});

describe('fault: a callback receiver that hangs, answers 500, then 200', () => {
  it('the job ends succeeded after 3 attempts, one webhook-id, run and billed once', async () => {
    const body = { text: UNIT_RECORDINGS[2].text, image: { data: await jpegBase64(160, 120), media_type: 'image/jpeg' }, callback_url: receiverUrl };
    const sub = await fetch(`${dev!.origin}/v1/jobs`, { method: 'POST', headers: { ...key.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(sub.status, await sub.clone().text()).toBe(202);
    const { id } = (await sub.json()) as { id: string };

    let job: any;
    for (let i = 0; i < 240; i++) {
      job = await (await fetch(`${dev!.origin}/v1/jobs/${id}`, { headers: key.auth })).json();
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(job.status, JSON.stringify(job.callback)).toBe('succeeded');
    expect(job.attempts).toBe(1); // the pipeline ran once; only the callback was retried
    expect(job.callback).toMatchObject({ status: 'delivered', attempts: 3, last_status: 200 });
    expect(deliveries.map((d) => d.answered)).toEqual(['hang', '500', '200']);

    const wh = new Webhook(key.webhook_secret);
    for (const d of deliveries) {
      expect(d.headers['webhook-id']).toBe(job.callback.webhook_id);
      const event = wh.verify(d.body, { 'webhook-id': d.headers['webhook-id'], 'webhook-timestamp': d.headers['webhook-timestamp'], 'webhook-signature': d.headers['webhook-signature'] }) as any;
      expect(event).toMatchObject({ type: 'job.succeeded', data: { id, status: 'succeeded' } });
    }
    const usage = (await (await fetch(`${dev!.origin}/v1/usage`, { headers: key.auth })).json()) as { totals: { units: number } };
    expect(usage.totals.units).toBe(1);
    expect((await fetch(`${dev!.origin}/healthz`)).status).toBe(200);
  }, 120_000);
});
