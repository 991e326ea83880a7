/**
 * API keys inside workerd: Bearer auth on every /v1 route (not on the docs), keys stored only as
 * SHA-256 hashes, unknown and revoked keys, the key in the Hono context, and the OpenAPI document.
 */
import { env, exports } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, migrate, revokeKey } from '../support/accounts';

const DB = (env as unknown as { DB: D1Database }).DB;
const get = (path: string, headers: Record<string, string> = {}) => exports.default.fetch(`http://x${path}`, { headers });

async function problem(res: Response, type: string) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = await res.json<Record<string, any>>();
  expect(body.type).toBe(`https://gmner.dev/problems/${type}`);
  expect(body.status).toBe(res.status);
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  return body;
}

async function sha256Hex(s: string) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

beforeAll(migrate);

describe('Bearer auth on /v1', () => {
  it('leaves /healthz, /openapi.json and /docs open', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs']) expect((await get(path)).status, path).toBe(200);
  });

  it('401 with WWW-Authenticate and a problem without a key, on every /v1 route and method', async () => {
    for (const [method, path] of [['GET', '/v1/models'], ['GET', '/v1/usage'], ['POST', '/v1/recognize'], ['GET', '/v1/nothing']]) {
      const res = await exports.default.fetch(`http://x${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gmner"');
      expect((await problem(res, 'unauthorized')).detail).toMatch(/Authorization: Bearer/);
    }
  });

  it('401 invalid_token for a malformed header, a garbage token and an unknown well-formed key', async () => {
    const unknown = 'gmn_' + 'A'.repeat(43);
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer not a key', 'Bearer abc', `Bearer ${unknown}`]) {
      const res = await get('/v1/models', { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gmner", error="invalid_token"');
      await problem(res, 'unauthorized');
    }
  });

  it('admits a valid key, case-insensitively on the scheme, and answers with RateLimit headers', async () => {
    const k = await issueKey({ name: 'alice', quota: 10 });
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await get('/v1/models', { authorization: `${scheme} ${k.key}` });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toMatch(/^"rate";q=60;w=60, "monthly";q=10;w=\d+$/);
      expect(res.headers.get('ratelimit')).toMatch(/^"rate";r=\d+;t=\d+, "monthly";r=10;t=\d+$/);
    }
  });

  it('401 key-revoked once revoked, at once; other keys keep working', async () => {
    const a = await issueKey({ name: 'to-revoke' });
    const b = await issueKey({ name: 'stays' });
    expect((await get('/v1/models', a.auth)).status).toBe(200);
    await revokeKey(a.id);
    const res = await get('/v1/models', a.auth);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await problem(res, 'key-revoked')).detail).toMatch(/revoked at \d{4}-/);
    const post = await exports.default.fetch('http://x/v1/recognize', { method: 'POST', headers: { 'content-type': 'application/json', ...a.auth }, body: '{}' });
    expect(post.status).toBe(401);
    expect((await get('/v1/models', b.auth)).status).toBe(200);
  });

  it('stores the key only as its SHA-256; the webhook secret is Standard Webhooks format', async () => {
    const k = await issueKey({ name: 'hashed', quota: 5 });
    const row = await DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(k.id).first<Record<string, unknown>>();
    expect(row).not.toBeNull();
    expect(row!.key_hash).toBe(await sha256Hex(k.key));
    for (const v of Object.values(row!)) if (typeof v === 'string') expect(v.includes(k.key.slice(8))).toBe(false);
    expect(row!.key_prefix).toBe(k.key.slice(0, 8));
    expect(k.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(atob(k.webhook_secret.slice(6))).toHaveLength(24);
    // An independent Standard Webhooks implementation accepts the secret and verifies its own signature.
    const wh = new Webhook(k.webhook_secret);
    const ts = new Date();
    const sig = wh.sign('msg_1', ts, '{"a":1}');
    expect(wh.verify('{"a":1}', { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': sig })).toEqual({ a: 1 });
  });

  it('puts the key (id, name, webhook secret, quota) in the Hono context', async () => {
    const k = await issueKey({ name: 'ctx', quota: 7 });
    const app = createApp();
    let seen: unknown;
    app.get('/v1/__whoami', (c) => {
      seen = c.get('apiKey');
      return c.json({});
    });
    expect((await app.request('/v1/__whoami', { headers: k.auth }, env)).status).toBe(200);
    expect(seen).toEqual({ id: k.id, name: 'ctx', webhook_secret: k.webhook_secret, quota: 7 });
  });

  it('503 accounts-unavailable, not 401, when the Worker has no DB binding', async () => {
    const k = await issueKey();
    const { DB: _db, ...noDb } = env as unknown as Record<string, unknown>;
    const res = await createApp().request('/v1/models', { headers: k.auth }, noDb);
    expect(res.status).toBe(503);
    await problem(res, 'accounts-unavailable');
  });

  it('documents Bearer security, 401 and 429 on /v1 operations and not on /healthz', async () => {
    const doc = await (await get('/openapi.json')).json<any>();
    expect(doc.components.securitySchemes.Bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const rec = doc.paths['/v1/recognize'].post;
    expect(rec.security).toEqual([{ Bearer: [] }]);
    expect(Object.keys(rec.responses)).toEqual(expect.arrayContaining(['401', '409', '422', '429']));
    expect(rec.parameters.map((p: any) => p.name)).toContain('Idempotency-Key');
    expect(doc.paths['/v1/usage'].get.security).toEqual([{ Bearer: [] }]);
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
    // Apps built again (tests build many) document each thing once.
    createApp();
    const again = await (await createApp().request('/openapi.json')).json<any>();
    expect(again.paths['/v1/recognize'].post.parameters.filter((p: any) => p.name === 'Idempotency-Key')).toHaveLength(1);
    expect(again.paths['/v1/recognize'].post.responses['422'].description.match(/idempotency-mismatch/g)).toHaveLength(1);
  });
});
