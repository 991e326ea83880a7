/**
 * POST /v1/hooks/{source} inside workerd: events signed by the reference implementation (`standardwebhooks`)
 * are verified by ours; a tampered body, a stale or future timestamp, a wrong secret and a replayed id are
 * refused; an accepted event becomes a job of the source's key, called back signed with that key's secret.
 */
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import type { ApiBindings } from '../../functions/api/env';
import { issueKey, recognizeBody, usageRows, type TestKey } from '../support/accounts';
import { drain, inbox, jobsEnv, received } from '../support/jobs';
import { MAX_SIGNATURES, verifyWebhook } from '../../functions/api/jobs/signing';

const app = createApp();
const newSecret = () => 'whsec_' + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
const SECRET = newSecret();
let key: TestKey;
beforeAll(async () => {
  key = await issueKey({ name: 'hooks' });
});

function hookEnv(extra: Record<string, unknown> = {}) {
  return jobsEnv({ extra: { HOOK_SECRET_CMS: SECRET, HOOK_KEY_CMS: key.id, ...extra } });
}

let n = 0;
/** An event signed by the reference implementation, as an upstream system would send it. */
function signed(payload: unknown, opts: { secret?: string; at?: Date; id?: string } = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const id = opts.id ?? `evt_${++n}_${Date.now()}`;
  const at = opts.at ?? new Date();
  const signature = new Webhook(opts.secret ?? SECRET).sign(id, at, body);
  return {
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
  };
}
const send = (e: ApiBindings, s: { body: string; headers: Record<string, string> }, source = 'cms') =>
  app.request(`/v1/hooks/${source}`, { method: 'POST', body: s.body, headers: s.headers }, e);

async function event(data: Record<string, unknown> = {}) {
  return { type: 'post.created', timestamp: new Date().toISOString(), data: { ...JSON.parse(await recognizeBody()), ...data } };
}

describe('POST /v1/hooks/{source}', () => {
  it('accepts a signed event without a Bearer key, answers 202 with a job, and the job is called back signed with the key', async () => {
    const { env: e, queue } = hookEnv();
    const cb = inbox('hook');
    const res = await send(e, signed(await event({ callback_url: cb.url })));
    expect(res.status).toBe(202);
    const accepted = await res.json<any>();
    expect(accepted).toMatchObject({ status: 'queued' });
    expect(accepted.id).toMatch(/^job_/);
    expect(queue.messages.map((m) => m.body)).toEqual([{ v: 1, job_id: accepted.id }]);

    await drain(e, queue);
    const [d] = await received(cb.name);
    const out = new Webhook(key.webhook_secret).verify(d.body, { 'webhook-id': d.headers['webhook-id'], 'webhook-timestamp': d.headers['webhook-timestamp'], 'webhook-signature': d.headers['webhook-signature'] }) as any;
    expect(out).toMatchObject({ type: 'job.succeeded', data: { id: accepted.id, origin: 'hook:cms', status: 'succeeded' } });
    const job = await (await app.request(accepted.status_url, { headers: key.auth }, e)).json<any>();
    expect(job.status).toBe('succeeded');
    expect((await usageRows(key.id)).find((r) => r.request_id === accepted.id)).toMatchObject({ route: 'POST /v1/hooks/cms', units: 1 });
  });

  it('refuses a body changed after signing (401 webhook-signature), and makes no job', async () => {
    const { env: e, queue } = hookEnv();
    const s = signed(await event());
    const res = await send(e, { ...s, body: s.body.replace('Marisol', 'Marisel') });
    expect(res.status).toBe(401);
    const body = await res.json<any>();
    expect(body.type).toBe('https://gmner.dev/problems/webhook-signature');
    expect(body.detail).toMatch(/No webhook-signature matches/);
    expect(queue.sent).toBe(0);
    // The untouched event still goes through (the refusal did not consume its id).
    expect((await send(e, s)).status).toBe(202);
  });

  it('refuses a timestamp more than 5 minutes old or ahead, even when correctly signed', async () => {
    const { env: e, queue } = hookEnv();
    const stale = await send(e, signed(await event(), { at: new Date(Date.now() - 6 * 60_000) }));
    expect(stale.status).toBe(401);
    expect((await stale.json<any>()).detail).toMatch(/s old; at most 300 s/);
    const ahead = await send(e, signed(await event(), { at: new Date(Date.now() + 6 * 60_000) }));
    expect(ahead.status).toBe(401);
    expect((await ahead.json<any>()).detail).toMatch(/in the future/);
    // Inside the window is fine.
    expect((await send(e, signed(await event(), { at: new Date(Date.now() - 4 * 60_000) }))).status).toBe(202);
    expect(queue.sent).toBe(1);
  });

  it('accepts a webhook-id once: a replay is refused (409 webhook-replayed naming the first job)', async () => {
    const { env: e, queue } = hookEnv();
    const s = signed(await event());
    const first = await send(e, s);
    expect(first.status).toBe(202);
    const { id } = await first.json<any>();
    const replay = await send(e, s);
    expect(replay.status).toBe(409);
    const body = await replay.json<any>();
    expect(body.type).toBe('https://gmner.dev/problems/webhook-replayed');
    expect(body.job_id).toBe(id);
    // Re-signed now (fresh timestamp) under the same id: still a replay.
    const resigned = signed(s.body, { id: s.headers['webhook-id'] });
    expect((await send(e, resigned)).status).toBe(409);
    expect(queue.sent).toBe(1);
    const rows = (await (env as any).DB.prepare('SELECT COUNT(*) AS n FROM jobs WHERE origin = ? AND id = ?').bind('hook:cms', id).first()) as { n: number };
    expect(rows.n).toBe(1);
  });

  it('refuses another secret, missing headers and a non-v1 signature; accepts either secret during rotation', async () => {
    const { env: e } = hookEnv();
    expect((await send(e, signed(await event(), { secret: newSecret() }))).status).toBe(401);
    const s = signed(await event());
    const { 'webhook-signature': _sig, ...noSig } = s.headers;
    const missing = await send(e, { body: s.body, headers: noSig });
    expect(missing.status).toBe(401);
    expect((await missing.json<any>()).detail).toMatch(/Send webhook-id, webhook-timestamp and webhook-signature/);
    const v1a = await send(e, { body: s.body, headers: { ...s.headers, 'webhook-signature': s.headers['webhook-signature'].replace('v1,', 'v1a,') } });
    expect(v1a.status).toBe(401);

    const next = newSecret();
    const rotating = hookEnv({ HOOK_SECRET_CMS: `${SECRET} ${next}` });
    expect((await send(rotating.env, signed(await event(), { secret: next }))).status).toBe(202);
    expect((await send(rotating.env, signed(await event(), { secret: SECRET }))).status).toBe(202);
    // Several signatures in the header (the sender rotating): one match is enough.
    const both = signed(await event(), { secret: next });
    const other = new Webhook(newSecret()).sign(both.headers['webhook-id'], new Date(Number(both.headers['webhook-timestamp']) * 1000), both.body);
    expect((await send(e, { body: both.body, headers: { ...both.headers, 'webhook-signature': `${other} ${both.headers['webhook-signature']}` } })).status).toBe(401);
    expect((await send(rotating.env, { body: both.body, headers: { ...both.headers, 'webhook-signature': `${other} ${both.headers['webhook-signature']}` } })).status).toBe(202);
  });

  it('404 for a source that is not configured (no secret, or no key), before looking at the body', async () => {
    const { env: e } = hookEnv();
    const res = await send(e, signed(await event()), 'erp');
    expect(res.status).toBe(404);
    expect((await res.json<any>()).type).toMatch(/hook-source-unknown$/);
    const noKey = hookEnv({ HOOK_KEY_CMS: undefined });
    expect((await send(noKey.env, signed(await event()))).status).toBe(404);
    expect((await send(e, signed(await event()), '..%2Fcms')).status).toBe(404);
  });

  it('422 for a verified event that is not a job request, and for a refused callback URL', async () => {
    const { env: e, queue } = hookEnv({ ALLOW_INSECURE_CALLBACK_URLS: 'false' });
    const bad = await send(e, signed({ type: 'post.created', data: { text: 'no image' } }));
    expect(bad.status).toBe(422);
    expect((await bad.json<any>()).errors.map((x: any) => x.pointer)).toContain('#/data/image');
    const url = await send(e, signed(await event({ callback_url: 'https://192.168.1.1/x' })));
    expect(url.status).toBe(422);
    const body = await url.json<any>();
    expect(body.type).toMatch(/callback-url-refused$/);
    expect(body.errors[0].pointer).toBe('#/data/callback_url');
    expect(queue.sent).toBe(0);
  });

  it("uses HOOK_CALLBACK_URL_<SOURCE> when the event names no callback", async () => {
    const cb = inbox('hook-default');
    const { env: e, queue } = hookEnv({ HOOK_CALLBACK_URL_CMS: cb.url });
    const res = await send(e, signed(await event()));
    expect(res.status).toBe(202);
    await drain(e, queue);
    expect(await received(cb.name)).toHaveLength(1);
  });
});

describe('POST /v1/hooks/{source}: bounded and metered (issue 11, items 2 and 6)', () => {
  it('computes one MAC per secret, however many candidate signatures the header holds', async () => {
    const body = JSON.stringify(await event());
    const at = new Date();
    const good = new Webhook(SECRET).sign('evt_mac', at, body);
    const wrong = Array.from({ length: 4 }, (_, i) => `v1,${btoa(String(i).repeat(32))}`);
    const headers = { 'webhook-id': 'evt_mac', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': [...wrong, good].join(' ') };
    const subtle = crypto.subtle as unknown as Record<'sign' | 'verify', (...a: unknown[]) => Promise<unknown>>;
    const original = { sign: subtle.sign, verify: subtle.verify };
    let macs = 0;
    subtle.sign = (...a) => (macs++, original.sign.apply(crypto.subtle, a));
    subtle.verify = (...a) => (macs++, original.verify.apply(crypto.subtle, a));
    try {
      await verifyWebhook([newSecret(), SECRET], { get: (n) => (headers as Record<string, string>)[n] }, body, 300);
    } finally {
      subtle.sign = original.sign;
      subtle.verify = original.verify;
    }
    expect(macs).toBe(2);
  });

  it(`refuses more than ${MAX_SIGNATURES} signatures (401) even when one of them matches`, async () => {
    const { env: e, queue } = hookEnv();
    const s = signed(await event());
    const padded = { ...s.headers, 'webhook-signature': [...Array.from({ length: MAX_SIGNATURES }, (_, i) => `v1,${btoa(String(i).repeat(32))}`), s.headers['webhook-signature']].join(' ') };
    const res = await send(e, { body: s.body, headers: padded });
    expect(res.status).toBe(401);
    expect((await res.json<any>()).detail).toMatch(new RegExp(`at most ${MAX_SIGNATURES}`));
    expect(queue.sent).toBe(0);
  });

  it('413 body-too-large for a body over HOOK_MAX_BODY_BYTES, before its signature is checked', async () => {
    const { env: e, queue } = hookEnv({ HOOK_MAX_BODY_BYTES: '1000' });
    const res = await send(e, signed(await event({ text: 'x'.repeat(2000) })));
    expect(res.status).toBe(413);
    expect(await res.json<any>()).toMatchObject({ type: 'https://gmner.dev/problems/body-too-large', limit_bytes: 1000 });
    expect(queue.sent).toBe(0);
  });

  it("counts against the source key's quota (a unit held for the job) and rate limit: 429 with Retry-After, no job", async () => {
    /** Two events on a key that admits one: the first is queued, the second is a 429 of `problem`. */
    const secondRefused = async (keyOptions: Parameters<typeof issueKey>[0], problem: string) => {
      const key = await issueKey(keyOptions);
      const h = hookEnv({ HOOK_KEY_CMS: key.id });
      expect((await send(h.env, signed(await event()))).status).toBe(202);
      const over = await send(h.env, signed(await event()));
      expect(over.status).toBe(429);
      expect((await over.json<any>()).type).toBe(`https://gmner.dev/problems/${problem}`);
      expect(h.queue.sent).toBe(1);
      return { key, h, over };
    };
    const quota = await secondRefused({ name: 'hooks-quota', quota: 1 }, 'quota-exceeded');
    expect(quota.over.headers.get('retry-after')).toMatch(/^\d+$/);
    await drain(quota.h.env, quota.h.queue);
    expect((await usageRows(quota.key.id)).map((r) => r.units)).toEqual([1]);
    await secondRefused({ name: 'hooks-rate', rateLimit: 1 }, 'rate-limited');
  });

  it('503 accounts-unavailable with Retry-After when the meter does not answer; nothing queued', async () => {
    const down = { idFromName: () => ({}), get: () => ({ admit: async () => { throw new Error('meter down (test)'); } }) };
    const { env: e, queue } = hookEnv({ METER: down });
    const res = await send(e, signed(await event()));
    expect(res.status).toBe(503);
    expect((await res.json<any>()).type).toBe('https://gmner.dev/problems/accounts-unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(queue.sent).toBe(0);
  });
});
