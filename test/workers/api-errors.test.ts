import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, post } from '../support/accounts';

const PROBLEM = 'application/problem+json';
const app = createApp();
/** The wrangler.toml environment without any LLM variables, as on a fresh machine. */
const bareEnv = { ...env } as Record<string, unknown>;
for (const k of Object.keys(bareEnv)) if (k.startsWith('LLM_')) delete bareEnv[k];
/** `authorization: Bearer <key>` of a key issued into this file's D1: every /v1 route requires one. */
let auth: Record<string, string> = {};
beforeAll(async () => {
  auth = (await issueKey({ name: 'api-errors' })).auth;
});

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe(PROBLEM);
  const body = await res.json<Record<string, any>>();
  expect(body.status).toBe(res.status);
  expect(body.type).toMatch(/^https:\/\/.+\/problems\/[a-z-]+$/);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  return body;
}

const json = (body: unknown) => post(body, auth);
const validBody = { text: 'Kevin Durant at Oracle Arena', image: { url: 'https://example.com/a.jpg' } };

describe('service routes', () => {
  it('answers /healthz with a request id, reusing cf-ray when present', async () => {
    const res = await exports.default.fetch('http://x/healthz', { headers: { 'cf-ray': '8f1e2d3c4b5a6978-SJC' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toBe('8f1e2d3c4b5a6978-SJC');
    const again = await exports.default.fetch('http://x/healthz');
    expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3.1 document that describes the recognize route', async () => {
    const res = await exports.default.fetch('http://x/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json<any>();
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/v1/recognize'].post;
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json', 'multipart/form-data']);
    expect(op.responses['422'].content['application/problem+json']).toBeDefined();
    expect(doc.components.schemas.RecognizeAnswer.properties.entities).toBeDefined();
  });

  it('serves the interactive reference at /docs', async () => {
    const res = await exports.default.fetch('http://x/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/openapi.json');
  });

  it('needs no API key for /healthz, /openapi.json and /docs, and one for /v1', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs']) {
      const res = await exports.default.fetch(`http://x${path}`);
      expect(res.status, path).toBe(200);
    }
    const v1 = await exports.default.fetch('http://x/v1/models');
    expect(v1.status).toBe(401);
    expect(v1.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('reports each stage on /v1/models, saying what is not configured', async () => {
    const res = await app.request('/v1/models', { headers: auth }, bareEnv);
    expect(res.status).toBe(200);
    const { stages } = await res.json<{ stages: any[] }>();
    expect(stages.map((s) => s.stage)).toEqual(['recognize', 'entail', 'ground', 'segment']);
    expect(stages[0]).toMatchObject({ configured: false });
    expect(stages[0].detail).toContain('LLM_BASE_URL');
  });
});

describe('problem answers', () => {
  it('404 for an unknown route', async () => {
    const res = await exports.default.fetch('http://x/v1/nothing-here', { headers: auth });
    expect(res.status).toBe(404);
    expect((await problem(res)).type).toMatch(/not-found$/);
  });

  it('405 with Allow for a known route and the wrong method', async () => {
    const res = await exports.default.fetch('http://x/v1/recognize', { headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await problem(res)).type).toMatch(/method-not-allowed$/);
    const put = await exports.default.fetch('http://x/healthz', { method: 'DELETE' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    // Like routing (strict: false), a trailing slash names the same route; the request id and CORS headers stay.
    const slash = await exports.default.fetch('http://x/healthz/', { method: 'DELETE' });
    expect(slash.status).toBe(405);
    expect(slash.headers.get('allow')).toBe('GET, HEAD');
    expect(slash.headers.get('x-request-id')).toBeTruthy();
    expect(slash.headers.get('access-control-allow-origin')).toBe('*');
    expect((await problem(slash)).type).toMatch(/method-not-allowed$/);
  });

  it('415 for a body that is neither JSON nor multipart', async () => {
    const res = await exports.default.fetch('http://x/v1/recognize', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
    expect((await problem(res)).detail).toContain('text/plain');
  });

  it('413 for a body over the limit, before reading it', async () => {
    const small = { ...bareEnv, MAX_BODY_BYTES: '1000' };
    const res = await app.request('/v1/recognize', json({ ...validBody, text: 'x'.repeat(5000) }), small);
    expect(res.status).toBe(413);
    expect((await problem(res)).limit_bytes).toBe(1000);
  });

  it('422 listing every offending field', async () => {
    const res = await exports.default.fetch('http://x/v1/recognize', json({ text: '', image: { url: 'not a url' }, options: { labels: 'ner', masks: 'yes' } }));
    expect(res.status).toBe(422);
    const body = await problem(res);
    const pointers = body.errors.map((e: any) => e.pointer);
    expect(pointers).toContain('#/text');
    expect(pointers).toContain('#/options/labels');
    expect(pointers).toContain('#/options/masks');
    expect(pointers.some((p: string) => p.startsWith('#/image'))).toBe(true);
    expect(body.detail).toMatch(/^\d+ fields? failed validation$/);
  });

  it('422 for malformed JSON and for unknown fields', async () => {
    const bad = await exports.default.fetch('http://x/v1/recognize', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{"text": ' });
    expect(bad.status).toBe(422);
    await problem(bad);
    const extra = await exports.default.fetch('http://x/v1/recognize', json({ ...validBody, colour: 'red' }));
    expect(extra.status).toBe(422);
  });

  it('422 for multipart without the image part, and bad options JSON', async () => {
    const form = new FormData();
    form.set('text', 'Kevin Durant');
    form.set('options', '{"labels": "wrong"}');
    const res = await exports.default.fetch('http://x/v1/recognize', { method: 'POST', body: form, headers: auth });
    expect(res.status).toBe(422);
    const pointers = (await problem(res)).errors.map((e: any) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['#/image', '#/options/labels']));
  });

  it('503 naming the variables to set when no LLM is configured', async () => {
    const res = await app.request('/v1/recognize', json(validBody), bareEnv);
    expect(res.status).toBe(503);
    const body = await problem(res);
    expect(body.type).toMatch(/llm-not-configured$/);
    expect(body.detail).toContain('LLM_BASE_URL');
    expect(body.missing).toEqual(expect.arrayContaining(['LLM_BASE_URL', 'LLM_MODEL']));
  });
});
