/**
 * The ApiKeyMeter Durable Object on its own (runInDurableObject / runDurableObjectAlarm): leases of
 * requests that never settle, late settles, expiry of stored answers, large answers in chunks.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { ApiKeyMeter } from '../../functions/api/accounts/meter';

const METER = (env as unknown as { METER: DurableObjectNamespace<ApiKeyMeter> }).METER;
const stub = (name: string) => METER.get(METER.idFromName(name));
const base = { rateLimit: 100, rateWindowSeconds: 60, quota: 2, reserve: 1 };
const body = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

describe('ApiKeyMeter', () => {
  it('takes over an Idempotency-Key and a reservation whose request never settled, once the lease runs out', async () => {
    const m = stub('lease');
    const idempotency = { key: 'k', fingerprint: 'f' };
    const first = await m.admit({ ...base, idempotency });
    expect(first.outcome).toBe('admitted');
    expect((await m.admit({ ...base, idempotency })).outcome).toBe('in-flight');
    // The worker died: pretend the lease ran out.
    await runInDurableObject(m, (_: ApiKeyMeter, state) => {
      state.storage.sql.exec('UPDATE idempotency SET expires_at = 0');
      state.storage.sql.exec('UPDATE reservations SET expires_at = 0');
    });
    const second = await m.admit({ ...base, idempotency });
    expect(second.outcome).toBe('admitted');
    // The abandoned reservation no longer counts: 1 of 2 units is held, by the second request.
    expect(second.limits.quota!.remaining).toBe(1);
    // The first request's late settle neither stores its answer nor removes the second's marker.
    await m.settle({ admission: (first as { admission: string }).admission, units: 1, idempotency: { key: 'k', ttlSeconds: 60, response: { status: 200, headers: [], body: body('late') } } });
    expect((await m.admit({ ...base, idempotency })).outcome).toBe('in-flight');
    await m.settle({ admission: (second as { admission: string }).admission, units: 1, idempotency: { key: 'k', ttlSeconds: 60, response: { status: 201, headers: [['content-type', 'text/plain']], body: body('second') } } });
    const replay = await m.admit({ ...base, quota: 2, idempotency });
    expect(replay.outcome).toBe('replay');
    if (replay.outcome === 'replay') {
      expect(replay.response.status).toBe(201);
      expect(new TextDecoder().decode(replay.response.body)).toBe('second');
    }
    // Both settles billed their unit: the quota is used up.
    expect(await m.usedThisMonth()).toMatchObject({ used: 2, reserved: 0 });
    expect((await m.admit(base)).outcome).toBe('quota-exceeded');
  });

  it('stores large answers in chunks and replays them byte for byte', async () => {
    const m = stub('large');
    const big = new Uint8Array(2_500_000).map((_, i) => (i * 31) & 255);
    const a = await m.admit({ ...base, quota: null, idempotency: { key: 'big', fingerprint: 'f' } });
    await m.settle({ admission: (a as { admission: string }).admission, units: 1, idempotency: { key: 'big', ttlSeconds: 60, response: { status: 200, headers: [], body: big.buffer } } });
    const r = await m.admit({ ...base, quota: null, idempotency: { key: 'big', fingerprint: 'f' } });
    expect(r.outcome).toBe('replay');
    if (r.outcome === 'replay') expect(new Uint8Array(r.response.body)).toEqual(big);
    const chunks = await runInDurableObject(m, (_: ApiKeyMeter, s) => s.storage.sql.exec('SELECT COUNT(*) AS n FROM idempotency_body').one().n);
    expect(chunks).toBe(3);
  });

  it('forgets stored answers when they expire (alarm)', async () => {
    const m = stub('expiry');
    const a = await m.admit({ ...base, quota: null, idempotency: { key: 'e', fingerprint: 'f' } });
    await m.settle({ admission: (a as { admission: string }).admission, units: 1, idempotency: { key: 'e', ttlSeconds: 1, response: { status: 200, headers: [], body: body('x') } } });
    await runInDurableObject(m, (_: ApiKeyMeter, s) => {
      s.storage.sql.exec('UPDATE idempotency SET expires_at = 1');
    });
    expect(await runDurableObjectAlarm(m)).toBe(true);
    const rows = await runInDurableObject(m, (_: ApiKeyMeter, s) => s.storage.sql.exec('SELECT (SELECT COUNT(*) FROM idempotency) + (SELECT COUNT(*) FROM idempotency_body) AS n').one().n);
    expect(rows).toBe(0);
    // The key can be used for a new request again.
    expect((await m.admit({ ...base, quota: null, idempotency: { key: 'e', fingerprint: 'other' } })).outcome).toBe('admitted');
  });
});
