/**
 * Recognition only (options.vision = "none") and the model files a client needs to run the vision stages itself
 * (GET /v1/vision/manifest, GET /v1/models/{id}/files/{name}), in workerd with MODEL_SET=fixtures.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { VISION_SKIPPED_WARNING } from '../../shared/pipeline/orchestrator';
import { sha256Hex } from '../../shared/store/sha256';
import { issueKey, post as jsonPost } from '../support/accounts';
import { DURANT_ENTITIES as ENTITIES, DURANT_TEXT as TEXT, scriptedEnv } from '../support/llm';
import { encodePng, toBase64, whiteBlock } from '../support/images';

const app = createApp();
let auth: Record<string, string> = {};
beforeAll(async () => {
  auth = (await issueKey({ name: 'api-vision-option' })).auth;
});
const fixturesEnv = (answers: string[]) => scriptedEnv('vision-option', answers, { MODEL_SET: 'fixtures' });
const post = (body: unknown) => jsonPost(body, auth);
const block = () => encodePng(whiteBlock());

describe('options.vision = "none"', () => {
  it('answers entities and expansions only: vision fields null, models and warnings say why, no vision timings', async () => {
    const e = await fixturesEnv([JSON.stringify({ entities: ENTITIES })]);
    const res = await app.request('/v1/recognize', post({ text: TEXT, image: { data: toBase64(await block()) }, options: { masks: true, vision: 'none' } }), e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.image).toEqual({ width: 96, height: 64, format: 'png' });
    expect(body.entities.map((x: any) => x.text)).toEqual(['Kevin Durant', 'Chase Center']);
    for (const ent of body.entities) {
      expect(ent).toMatchObject({ groundable: null, entailment_score: null, box: null, mask: null });
      expect(ent.expansion.length).toBeGreaterThan(0);
    }
    expect(body.warnings).toContain(VISION_SKIPPED_WARNING);
    expect(body.warnings.join(' ')).not.toMatch(/not configured/);
    for (const s of ['entail', 'ground', 'segment']) expect(body.models[s].detail).toMatch(/^skipped at the client's request/);
    expect(body.models.recognize.detail ?? '').not.toMatch(/skipped/);
    expect(Object.keys(body.timings_ms).filter((k) => /entail|ground|segment/.test(k))).toEqual([]);
  });

  it('"server" (the default spelled out) still runs every stage; another value is 422', async () => {
    const e = await fixturesEnv([JSON.stringify({ entities: ENTITIES })]);
    const res = await app.request('/v1/recognize', post({ text: TEXT, image: { data: toBase64(await block()) }, options: { vision: 'server' } }), e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.entities.some((x: any) => x.box)).toBe(true);
    expect(body.warnings).not.toContain(VISION_SKIPPED_WARNING);
    const bad = await app.request('/v1/recognize', post({ text: TEXT, image: { data: toBase64(await block()) }, options: { vision: 'browser' } }), e);
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('/options/vision');
  });
});

describe('GET /v1/vision/manifest and /v1/models/{id}/files/{name}', () => {
  const fixtures = { ...env, MODEL_SET: 'fixtures' } as Record<string, unknown>;

  it('lists the stages\' models and every file (tokenizers too) with a hash that the served bytes match', async () => {
    const res = await app.request('/v1/vision/manifest', { headers: auth }, fixtures);
    expect(res.status).toBe(200);
    const m = await res.json<any>();
    expect(m.set).toBe('fixtures');
    expect(m.config.entail).toMatchObject({ visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text' });
    expect(m.config.segment).not.toBeNull();
    // Every model the stages name is listed, however a stage splits its model (OWL-ViT comes in parts).
    expect(m.entries.map((e: any) => e.id)).toEqual(expect.arrayContaining(['mobileclip-s0-vision', 'mobileclip-s0-text', 'mobilesam-encoder']));
    expect(m.entries.some((e: any) => e.role.startsWith('ground.'))).toBe(true);
    const keys = Object.keys(m.files);
    expect(keys).toEqual(expect.arrayContaining(['fixtures/mobileclip-s0-vision.onnx', 'fixtures/tokenizer.json', 'fixtures/tokenizer_config.json']));
    for (const key of keys) {
      const f = m.files[key];
      const got = await app.request(f.url, { headers: auth }, fixtures);
      expect(got.status, key).toBe(200);
      const bytes = new Uint8Array(await got.arrayBuffer());
      expect(bytes.length).toBe(f.bytes);
      expect(await sha256Hex(bytes)).toBe(f.sha256);
      expect(got.headers.get('etag')).toBe(`"${f.sha256}"`);
      expect(got.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('304 for If-None-Match with the ETag (graph and tokenizer), 200 for another one', async () => {
    for (const url of ['/v1/models/mobilesam-encoder/files/mobilesam-encoder.onnx', '/v1/models/mobileclip-s0-text/files/tokenizer.json']) {
      const first = await app.request(url, { headers: auth }, fixtures);
      const etag = first.headers.get('etag')!;
      await first.arrayBuffer();
      const again = await app.request(url, { headers: { ...auth, 'if-none-match': etag } }, fixtures);
      expect(again.status, url).toBe(304);
      expect(await again.text()).toBe('');
      const other = await app.request(url, { headers: { ...auth, 'if-none-match': '"0000"' } }, fixtures);
      expect(other.status).toBe(200);
      await other.arrayBuffer();
    }
  });

  it('404 problems for an unknown model or file (a vision model has no tokenizer), 401 without a key', async () => {
    for (const url of ['/v1/models/nope/files/x.onnx', '/v1/models/mobilesam-encoder/files/other.onnx', '/v1/models/mobileclip-s0-vision/files/tokenizer.json']) {
      const res = await app.request(url, { headers: auth }, fixtures);
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await res.json<any>()).type).toMatch(/not-found$/);
    }
    const anon = await app.request('/v1/models/mobilesam-encoder/files/mobilesam-encoder.onnx', {}, fixtures);
    expect(anon.status).toBe(401);
  });
});
