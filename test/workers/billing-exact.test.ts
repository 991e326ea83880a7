/**
 * Exact billing under concurrency (issue 11, item 2): one key with quota Q hit at once by sync JSON, SSE,
 * job, batch and inbound-hook requests, far more than Q can pay for. Every answer is a success or a 429;
 * once every job has run, exactly Q units are billed (usage ledger and meter agree) and nothing stays reserved.
 */
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiKeyMeter } from '../../functions/api/accounts/meter';
import { issueKey, recognizeBody, usageRows } from '../support/accounts';
import { drain, jobsEnv, jsonPost } from '../support/jobs';

const app = createApp();
const METER = (env as unknown as { METER: DurableObjectNamespace<ApiKeyMeter> }).METER;
const SECRET = 'whsec_' + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
const Q = 8;

describe('exact billing', () => {
  it(`a key with quota ${Q} hit by every kind of request at once: successes or 429s, exactly ${Q} units billed`, async () => {
    const k = await issueKey({ name: 'exact', quota: Q, rateLimit: 10_000 });
    const { env: e, queue } = jobsEnv({ extra: { HOOK_SECRET_CMS: SECRET, HOOK_KEY_CMS: k.id } });
    const body = await recognizeBody();
    const item = JSON.parse(body);
    let hookN = 0;

    // Each returns the units its success cost and its status; streams and bodies are read to the end.
    const sync = async () => {
      const r = await app.request('/v1/recognize', jsonPost(body, k.auth), e);
      await r.arrayBuffer();
      return { kind: "sync", status: r.status, units: r.status === 200 ? 1 : 0 };
    };
    const sse = async () => {
      const r = await app.request('/v1/recognize', jsonPost(body, { ...k.auth, accept: 'text/event-stream' }), e);
      const text = await r.text();
      if (r.status === 200) expect(text).toContain('event: answer');
      return { kind: 'sse', status: r.status, units: r.status === 200 ? 1 : 0 };
    };
    const oneJob = async () => {
      const r = await app.request('/v1/jobs', jsonPost(body, k.auth), e);
      await r.arrayBuffer();
      return { kind: 'job', status: r.status, units: r.status === 202 ? 1 : 0 };
    };
    const twoBatch = async () => {
      const r = await app.request('/v1/batch', jsonPost({ items: [item, item] }, k.auth), e);
      await r.arrayBuffer();
      return { kind: 'batch', status: r.status, units: r.status === 202 ? 2 : 0 };
    };
    const hook = async () => {
      const payload = JSON.stringify({ type: 'post.created', timestamp: new Date().toISOString(), data: item });
      const id = `evt_exact_${++hookN}`;
      const at = new Date();
      const r = await app.request('/v1/hooks/cms', {
        method: 'POST', body: payload,
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, at, payload) },
      }, e);
      await r.arrayBuffer();
      return { kind: 'hook', status: r.status, units: r.status === 202 ? 1 : 0 };
    };

    const wave1 = await Promise.all([
      ...Array.from({ length: 5 }, sync), ...Array.from({ length: 5 }, sse), ...Array.from({ length: 5 }, oneJob),
      ...Array.from({ length: 4 }, twoBatch), ...Array.from({ length: 5 }, hook),
    ]);
    // A batch of 2 can be refused with 1 unit left: single requests take whatever remains.
    const wave2 = await Promise.all(Array.from({ length: Q }, sync));
    const all = [...wave1, ...wave2];

    for (const a of all) expect([200, 202, 429], `${a.kind} answered ${a.status}`).toContain(a.status);
    const admitted = all.reduce((n, a) => n + a.units, 0);
    expect(admitted).toBe(Q);
    expect(all.filter((a) => a.status === 429).length).toBeGreaterThan(0);

    await drain(e, queue);
    const rows = await usageRows(k.id);
    expect(rows.reduce((n, r) => n + r.units, 0)).toBe(Q);
    expect(rows.every((r) => r.status < 300 && r.outcome === 'ok')).toBe(true);
    const m = await METER.get(METER.idFromName(k.id)).usedThisMonth();
    expect({ used: m.used, reserved: m.reserved }).toEqual({ used: Q, reserved: 0 });
  });
});
