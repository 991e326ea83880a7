/**
 * POST /v1/jobs, POST /v1/batch and GET /v1/jobs/{id} inside workerd: what is answered, stored and queued;
 * callback URL refusals; ownership; the real queue binding end to end.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, recognizeBody, type TestKey } from '../support/accounts';
import { BLUE, RED, encodePng, makeImage } from '../support/images';
import { inbox, jobsEnv, jsonPost } from '../support/jobs';
import { CALLBACK_ORIGIN } from '../setup/callbacks-config';

const app = createApp();
const db = () => (env as unknown as { DB: D1Database }).DB;
const jobRows = async (keyId: string) => (await db().prepare('SELECT * FROM jobs WHERE key_id = ? ORDER BY created_at, batch_index').bind(keyId).all<any>()).results;

let key: TestKey;
beforeAll(async () => {
  key = await issueKey({ name: 'jobs-api' });
});

async function jobBody(extra: Record<string, unknown>) {
  return { ...JSON.parse(await recognizeBody()), ...extra };
}

describe('POST /v1/jobs', () => {
  it('answers 202 {id, status, status_url}, stores the job and queues one message naming it', async () => {
    const { env: e, queue } = jobsEnv();
    const cb = inbox('api-202');
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: cb.url }), key.auth), e);
    expect(res.status).toBe(202);
    const body = await res.json<any>();
    expect(Object.keys(body).sort()).toEqual(['id', 'status', 'status_url']);
    expect(body.id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(body.status).toBe('queued');
    expect(body.status_url).toBe(`http://localhost/v1/jobs/${body.id}`);
    expect(res.headers.get('location')).toBe(body.status_url);
    expect(queue.messages.map((m) => m.body)).toEqual([{ v: 1, job_id: body.id }]);

    const got = await app.request(`/v1/jobs/${body.id}`, { headers: key.auth }, e);
    expect(got.status).toBe(200);
    const job = await got.json<any>();
    expect(job).toMatchObject({ id: body.id, status: 'queued', origin: 'jobs', attempts: 0, result: null, error: null, batch_id: null });
    expect(job.callback).toMatchObject({ url: cb.url, status: 'pending', attempts: 0, delivered_at: null });
    expect(job.callback.webhook_id).toMatch(/^msg_[0-9a-f]{32}$/);
    const [row] = (await jobRows(key.id)).filter((r) => r.id === body.id);
    expect(JSON.parse(row.input).text).toBe(JSON.parse(await recognizeBody()).text);
  });

  it('takes the multipart body of /v1/recognize with a callback_url field', async () => {
    const { env: e, queue } = jobsEnv();
    const form = new FormData();
    form.set('text', 'Kevin Durant arrives');
    form.set('image', new File([await encodePng(makeImage(8, 8, (x) => (x < 4 ? RED : BLUE)))], 'p.png', { type: 'image/png' }));
    form.set('options', JSON.stringify({ masks: true }));
    form.set('callback_url', 'https://example.com/hooks/gmner');
    const res = await app.request('/v1/jobs', { method: 'POST', body: form, headers: key.auth }, e);
    expect(res.status).toBe(202);
    const { id } = await res.json<any>();
    const row = await db().prepare('SELECT input, callback_url FROM jobs WHERE id = ?').bind(id).first<any>();
    const input = JSON.parse(row.input);
    expect(input).toMatchObject({ text: 'Kevin Durant arrives', image: { media_type: 'image/png' }, options: { masks: true, labels: 'gmner' } });
    expect(atob(input.image.data).slice(1, 4)).toBe('PNG');
    expect(row.callback_url).toBe('https://example.com/hooks/gmner');
    expect(queue.sent).toBe(1);
  });

  it('422 for a body that is not a job request, with pointers; nothing queued', async () => {
    const { env: e, queue } = jobsEnv();
    const res = await app.request('/v1/jobs', jsonPost({ text: '', image: { url: 'https://example.com/a.jpg' }, callback_url: 7, extra: 1 }, key.auth), e);
    expect(res.status).toBe(422);
    const body = await res.json<any>();
    expect(body.type).toBe('https://gmner.dev/problems/validation');
    const pointers = body.errors.map((x: any) => x.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['#/text', '#/callback_url']));
    expect(queue.sent).toBe(0);
  });

  it('needs an API key like every /v1 route', async () => {
    const { env: e } = jobsEnv();
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({}), {}), e);
    expect(res.status).toBe(401);
  });

  it('413 when a job would store more than JOB_MAX_INPUT_BYTES (inline image), nothing queued', async () => {
    const { env: e, queue } = jobsEnv({ extra: { JOB_MAX_INPUT_BYTES: '200' } });
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({}), key.auth), e);
    expect(res.status).toBe(413);
    const body = await res.json<any>();
    expect(body.type).toMatch(/image-too-large$/);
    expect(body.limit_bytes).toBe(200);
    expect(body.errors[0].pointer).toBe('#/image');
    expect(queue.sent).toBe(0);
  });

  it('503 jobs-unavailable when the queue refuses the message, and leaves no job behind', async () => {
    const k = await issueKey({ name: 'jobs-outage' });
    const { env: e, queue } = jobsEnv();
    queue.failNext = true;
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({}), k.auth), e);
    expect(res.status).toBe(503);
    expect((await res.json<any>()).type).toMatch(/jobs-unavailable$/);
    expect(await jobRows(k.id)).toEqual([]);
  });

  it('replays the same job for a repeated Idempotency-Key (one job, one message)', async () => {
    const { env: e, queue } = jobsEnv();
    const headers = { ...key.auth, 'idempotency-key': `job-${Date.now()}` };
    const body = await jobBody({ callback_url: 'https://example.com/cb' });
    const first = await app.request('/v1/jobs', jsonPost(body, headers), e);
    const again = await app.request('/v1/jobs', jsonPost(body, headers), e);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json<any>()).id).toBe((await first.json<any>()).id);
    expect(queue.sent).toBe(1);
  });
});

describe('callback URL refusals (422 callback-url-refused)', () => {
  const refused: Array<[string, RegExp]> = [
    ['http://example.com/hook', /Only https callback URLs/],
    ['ftp://example.com/hook', /Only https callback URLs/],
    ['https://127.0.0.1/hook', /IP-address hosts are refused.*loopback/],
    ['https://0x7f000001/hook', /IP-address hosts are refused.*127\.0\.0\.1/],
    ['https://10.1.2.3/hook', /private address/],
    ['https://192.168.0.10/hook', /private address/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://[::1]/hook', /IP-address hosts are refused/],
    ['https://[fd00::1]/hook', /unique-local/],
    ['https://93.184.216.34/hook', /IP-address hosts are refused/],
    ['https://localhost/hook', /loopback name/],
    ['https://api.localhost/hook', /loopback name/],
    ['https://printer.local/hook', /local-only name/],
    ['https://db.internal/hook', /local-only name/],
    ['https://intranet/hook', /single-label/],
    ['https://user:secret@example.com/hook', /credentials/],
    ['not a url', /not an absolute URL/],
    [`https://example.com/${'a'.repeat(2050)}`, /2048 characters/],
  ];
  for (const [url, why] of refused) {
    it(`refuses ${url.slice(0, 60)}`, async () => {
      const { env: e, queue } = jobsEnv({ extra: { ALLOW_INSECURE_CALLBACK_URLS: 'false' } });
      const res = await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: url }), key.auth), e);
      expect(res.status).toBe(422);
      const body = await res.json<any>();
      expect(body.type).toBe('https://gmner.dev/problems/callback-url-refused');
      expect(body.detail).toMatch(why);
      expect(body.detail).not.toMatch(/image/i);
      expect(body.errors).toEqual([{ pointer: '#/callback_url', detail: body.detail }]);
      expect(queue.sent).toBe(0);
    });
  }

  it('refuses loopback http without the development setting, admits it with it (and still refuses other http)', async () => {
    const loop = `${CALLBACK_ORIGIN}/hook/x`;
    const off = jobsEnv({ extra: { ALLOW_INSECURE_CALLBACK_URLS: undefined } });
    expect((await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: loop }), key.auth), off.env)).status).toBe(422);
    const on = jobsEnv({ extra: { ALLOW_INSECURE_CALLBACK_URLS: 'true' } });
    expect((await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: loop }), key.auth), on.env)).status).toBe(202);
    expect((await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: 'http://localhost:9/x' }), key.auth), on.env)).status).toBe(202);
    const other = await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: 'http://example.com/x' }), key.auth), on.env);
    expect(other.status).toBe(422);
    expect((await other.json<any>()).detail).toMatch(/loopback hosts only/);
    const privateHttp = await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: 'http://10.0.0.1/x' }), key.auth), on.env);
    expect(privateHttp.status).toBe(422);
  });

  it('accepts a public https host', async () => {
    const { env: e } = jobsEnv({ extra: { ALLOW_INSECURE_CALLBACK_URLS: 'false' } });
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({ callback_url: 'https://hooks.example.com:8443/gmner?x=1#frag' }), key.auth), e);
    expect(res.status).toBe(202);
    const { id } = await res.json<any>();
    const row = await db().prepare('SELECT callback_url FROM jobs WHERE id = ?').bind(id).first<any>();
    expect(row.callback_url).toBe('https://hooks.example.com:8443/gmner?x=1');
  });
});

describe('GET /v1/jobs/{id}', () => {
  it("404 job-not-found for another key's job and for ids that do not exist", async () => {
    const { env: e } = jobsEnv();
    const res = await app.request('/v1/jobs', jsonPost(await jobBody({}), key.auth), e);
    const { id } = await res.json<any>();
    const other = await issueKey({ name: 'jobs-other' });
    const theirs = await app.request(`/v1/jobs/${id}`, { headers: other.auth }, e);
    expect(theirs.status).toBe(404);
    expect((await theirs.json<any>()).type).toMatch(/job-not-found$/);
    expect((await app.request(`/v1/jobs/job_${'0'.repeat(32)}`, { headers: key.auth }, e)).status).toBe(404);
    expect((await app.request('/v1/jobs/nonsense', { headers: key.auth }, e)).status).toBe(404);
    expect((await app.request(`/v1/jobs/${id}`, { headers: key.auth }, e)).status).toBe(200);
  });
});

describe('POST /v1/batch', () => {
  it('makes one job per item (up to 100), in order, with the batch id and index; the top-level callback_url is the default', async () => {
    const k = await issueKey({ name: 'batch' });
    const { env: e, queue } = jobsEnv();
    const one = JSON.parse(await recognizeBody());
    const items = Array.from({ length: 100 }, (_, i) => (i === 3 ? { ...one, callback_url: 'https://own.example.com/cb' } : one));
    const res = await app.request('/v1/batch', jsonPost({ items, callback_url: 'https://shared.example.com/cb' }, k.auth), e);
    expect(res.status).toBe(202);
    const body = await res.json<any>();
    expect(body.id).toMatch(/^bat_[0-9a-f]{32}$/);
    expect(body.jobs).toHaveLength(100);
    expect(new Set(body.jobs.map((j: any) => j.id)).size).toBe(100);
    expect(queue.messages.map((m) => (m.body as any).job_id)).toEqual(body.jobs.map((j: any) => j.id));
    const rows = await jobRows(k.id);
    expect(rows.map((r) => r.batch_index)).toEqual([...Array(100).keys()]);
    expect(rows.every((r) => r.batch_id === body.id && r.origin === 'batch')).toBe(true);
    expect(rows[3].callback_url).toBe('https://own.example.com/cb');
    expect(rows[4].callback_url).toBe('https://shared.example.com/cb');
    expect(new Set(rows.map((r) => r.webhook_id)).size).toBe(100);
  });

  it('422 for 101 items or none, and for one bad callback URL (pointer to the item); nothing queued', async () => {
    const { env: e, queue } = jobsEnv({ extra: { ALLOW_INSECURE_CALLBACK_URLS: 'false' } });
    const one = JSON.parse(await recognizeBody());
    const tooMany = await app.request('/v1/batch', jsonPost({ items: Array(101).fill(one) }, key.auth), e);
    expect(tooMany.status).toBe(422);
    expect((await tooMany.json<any>()).errors[0].pointer).toBe('#/items');
    expect((await app.request('/v1/batch', jsonPost({ items: [] }, key.auth), e)).status).toBe(422);
    const bad = await app.request('/v1/batch', jsonPost({ items: [{ ...one, callback_url: 'https://ok.example.com/' }, { ...one, callback_url: 'https://10.0.0.8/' }] }, key.auth), e);
    expect(bad.status).toBe(422);
    const body = await bad.json<any>();
    expect(body.type).toMatch(/callback-url-refused$/);
    expect(body.errors.map((x: any) => x.pointer)).toEqual(['#/items/1/callback_url']);
    expect(queue.sent).toBe(0);
  });
});

describe('OpenAPI', () => {
  it('documents the job routes with the Bearer key, and the inbound hook route without it', async () => {
    const doc = await (await exports.default.fetch('http://x/openapi.json')).json<any>();
    expect(doc.paths['/v1/jobs'].post.security).toEqual([{ Bearer: [] }]);
    expect(Object.keys(doc.paths['/v1/jobs'].post.responses)).toEqual(expect.arrayContaining(['202', '401', '413', '422', '503']));
    expect(doc.paths['/v1/jobs/{id}'].get.responses['404']).toBeDefined();
    expect(doc.paths['/v1/batch'].post.requestBody.content['application/json']).toBeDefined();
    const hook = doc.paths['/v1/hooks/{source}'].post;
    expect(hook.security).toEqual([]);
    expect((hook.parameters ?? []).map((p: any) => p.name)).not.toContain('Idempotency-Key');
    expect(doc.components.schemas.Job.properties.status.enum).toEqual(['queued', 'running', 'delivering', 'succeeded', 'failed']);
    expect(doc.paths['/v1/recognize'].post.responses['200'].content['text/event-stream']).toBeDefined();
  });
});

describe('the real queue binding', () => {
  it("delivers a job's message to the Worker's own queue() consumer (wrangler.toml producer and consumer)", async () => {
    // exports.default runs with the wrangler env: the real JOBS queue, and no LLM configured, so the
    // consumer's pipeline run fails transiently (llm-not-configured) and is recorded on the job.
    const k = await issueKey({ name: 'jobs-real-queue' });
    const res = await exports.default.fetch('http://api.test/v1/jobs', jsonPost(await jobBody({ callback_url: 'https://callbacks.example.com/gmner' }), k.auth));
    expect(res.status).toBe(202);
    const { id, status_url } = await res.json<any>();
    expect(status_url).toBe(`http://api.test/v1/jobs/${id}`);
    let job: any;
    for (let i = 0; i < 60; i++) {
      job = await (await exports.default.fetch(status_url, { headers: k.auth })).json<any>();
      if (job.attempts > 0 && job.last_error) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(job.attempts).toBeGreaterThanOrEqual(1);
    expect(job.status).toBe('queued');
    expect(job.last_error.type).toBe('https://gmner.dev/problems/llm-not-configured');
  });
});
