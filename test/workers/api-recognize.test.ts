/**
 * POST /v1/recognize end to end inside workerd: real intake (codecs, limits), the real recognizer
 * against the recorded OpenAI-compatible server on loopback, the orchestrator, the answer's shape.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { MAX_TEXT_CHARS } from '../../shared/api/schemas';
import { issueKey, post } from '../support/accounts';
import { DURANT_ENTITIES as ENTITIES, DURANT_TEXT as TEXT, llmVars, recordedCalls, scriptedEnv } from '../support/llm';
import { BLUE, RED, encodeJpeg, encodePng, handPng, makeImage, quadrants, toBase64, withDecoySof, withSofSize, whiteBlock } from '../support/images';


const app = createApp();
const llmAnswering = (answers: string[], extra: Record<string, string> = {}) => scriptedEnv('api', answers, extra);
/** `authorization: Bearer <key>` of a key issued into this file's D1: every /v1 route requires one. */
let auth: Record<string, string> = {};
beforeAll(async () => {
  auth = (await issueKey({ name: 'api-recognize' })).auth;
});
const json = (body: unknown) => post(body, auth);
const png = () => encodePng(makeImage(48, 32, (x) => (x < 24 ? RED : BLUE)));

describe('POST /v1/recognize', () => {
  it('answers entities with UTF-16 spans, expansions and the image size (JSON, inline image)', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(await png()), media_type: 'image/png' } }), e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.id).toBe(res.headers.get('x-request-id'));
    expect(body.image).toEqual({ width: 48, height: 32, format: 'png' });
    expect(body.entities).toHaveLength(2);
    for (const ent of body.entities) expect(TEXT.slice(ent.start, ent.end)).toBe(ent.text);
    expect(body.entities[0]).toMatchObject({ text: 'Kevin Durant', start: 18, end: 30, type: 'PER', groundable: null, box: null, mask: null });
    expect(body.entities[0].expansion).toContain('an American basketball player');
    expect(body.usage).toMatchObject({ llm_calls: 1 });
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    expect(body.models.recognize).toMatchObject({ configured: true, provider: 'openai' });
    expect(body.models.entail).toMatchObject({ configured: false });
    expect(body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^entail stage is not configured/)]));
    expect(Object.keys(body.timings_ms)).toEqual(expect.arrayContaining(['intake', 'recognize', 'total']));
  });

  it('takes the same request as multipart/form-data, with options as JSON', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const form = new FormData();
    form.set('text', TEXT);
    form.set('image', new File([await png()], 'photo.png', { type: 'image/png' }));
    form.set('options', JSON.stringify({ labels: 'gmner', masks: true }));
    const res = await app.request('/v1/recognize', { method: 'POST', body: form, headers: auth }, e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.entities.map((x: any) => x.text)).toEqual(['Kevin Durant', 'Chase Center']);
    expect(body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^segment stage is not configured/)]));
  });

  it('one text limit for both forms: a 1.2 M-character multipart post is refused before the LLM sees it', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const calls = () => recordedCalls(String(e.LLM_MODEL));
    const pointers = async (res: Response) => {
      expect(res.status).toBe(422);
      const body = await res.json<any>();
      expect(body.type).toMatch(/validation$/);
      return body.errors;
    };
    for (const text of ['Kevin Durant '.repeat(100_000), 'x'.repeat(MAX_TEXT_CHARS + 1)]) {
      const form = new FormData();
      form.set('text', text);
      form.set('image', new File([await png()], 'photo.png', { type: 'image/png' }));
      const multipart = await pointers(await app.request('/v1/recognize', { method: 'POST', body: form, headers: auth }, e));
      const viaJson = await pointers(await app.request('/v1/recognize', json({ text, image: { data: toBase64(await png()) } }), e));
      expect(multipart).toEqual([{ pointer: '#/text', detail: expect.stringMatching(/10000/) }]);
      expect(multipart).toEqual(viaJson);
    }
    expect(await calls()).toBe(0);
    const form = new FormData();
    form.set('text', TEXT.padEnd(MAX_TEXT_CHARS, ' '));
    form.set('image', new File([await png()], 'photo.png', { type: 'image/png' }));
    expect((await app.request('/v1/recognize', { method: 'POST', body: form, headers: auth }, e)).status).toBe(200);
  });

  it('reports a declared media type that the bytes contradict, and reads the bytes', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: [] })]);
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(await png()), media_type: 'image/jpeg' } }), e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.image.format).toBe('png');
    expect(body.entities).toEqual([]);
    expect(body.warnings.join(' ')).toMatch(/image\/jpeg/);
  });

  it('413 for a decompression bomb, before decoding', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    // A valid 1x1 PNG whose header claims 60000 x 60000 pixels.
    const bomb = await handPng({ width: 1, height: 1, colorType: 2, rows: [[255, 0, 0]] });
    new DataView(bomb.buffer, bomb.byteOffset).setUint32(16, 60000);
    new DataView(bomb.buffer, bomb.byteOffset).setUint32(20, 60000);
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(bomb) } }), e);
    expect(res.status).toBe(413);
    const body = await res.json<any>();
    expect(body.type).toMatch(/image-too-large$/);
  });

  it('413 for a JPEG whose real 9000x6000 frame hides behind a decoy 100x100 SOF', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const jpeg = withDecoySof(withSofSize(await encodeJpeg(quadrants(16, 16)), 9000, 6000), { width: 100, height: 100 });
    const form = new FormData();
    form.set('text', TEXT);
    form.set('image', new File([jpeg], 'photo.jpg', { type: 'image/jpeg' }));
    const res = await app.request('/v1/recognize', { method: 'POST', body: form, headers: auth }, e);
    expect(res.status).toBe(413);
    expect(await res.json<any>()).toMatchObject({ type: expect.stringMatching(/image-too-large$/), width: 9000, height: 6000 });
  });

  it('415 for an image format we do not read, 422 for a private image URL', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES }), JSON.stringify({ entities: ENTITIES })]);
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;');
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(gif) } }), e);
    expect(res.status).toBe(415);
    expect((await res.json<any>()).type).toMatch(/image-unsupported$/);
    const url = await app.request('/v1/recognize', json({ text: TEXT, image: { url: 'https://192.168.1.10/cat.jpg' } }), e);
    expect(url.status).toBe(422);
    expect((await url.json<any>()).type).toMatch(/image-url-refused$/);
  });

  it("502 with a clean detail when the provider refuses; the provider's words go to the log line with the request id", async () => {
    const e = { ...env, ...llmVars(`unauthorized?t=api-${Date.now()}`) };
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => { logged.push(String(line)); });
    try {
      const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(await png()) } }), e);
      expect(res.status).toBe(502);
      const body = await res.json<any>();
      expect(body.detail).toMatch(/rejected the request \(401\)\. Check LLM_API_KEY\.$/);
      expect(JSON.stringify(body)).not.toContain('Incorrect API key');
      const line = logged.map((l) => JSON.parse(l)).find((l) => l.request_id === body.request_id);
      expect(line).toMatchObject({ level: 'error', problem: 'llm-failed' });
      expect(line.cause.join(' ')).toContain('Incorrect API key provided');
    } finally {
      spy.mockRestore();
    }
  });

  it('502 naming the LLM when the provider keeps failing', async () => {
    const e = { ...env, ...llmVars(`fail500?t=api-${Date.now()}`), LLM_MAX_RETRIES: '1' };
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(await png()) } }), e);
    expect(res.status).toBe(502);
    const body = await res.json<any>();
    expect(body.type).toMatch(/llm-failed$/);
    expect(body.dependency).toBe('llm');
  });
});

describe('POST /v1/recognize with MODEL_SET=fixtures (every stage through onnxruntime-web)', () => {
  it('fills groundable, score, box and mask from the fixture models, and reports them loaded', async () => {
    const e = { ...(await llmAnswering([JSON.stringify({ entities: ENTITIES })])), MODEL_SET: 'fixtures' };
    // A white block on black: the fixture detector boxes the brightest patch, the decoder masks the box.
    const image = whiteBlock();
    const res = await app.request('/v1/recognize', json({ text: TEXT, image: { data: toBase64(await encodePng(image)) }, options: { masks: true } }), e);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.entities).toHaveLength(2);
    // The fixture towers make both long expansions groundable under the default calibration.
    expect(body.entities.map((x: any) => x.groundable)).toEqual([true, true]);
    for (const ent of body.entities) {
      expect(typeof ent.groundable).toBe('boolean');
      expect(ent.entailment_score).toBeGreaterThanOrEqual(0);
      expect(ent.entailment_score).toBeLessThanOrEqual(1);
      if (!ent.groundable) {
        expect(ent.box).toBeNull();
        expect(ent.mask).toBeNull();
        continue;
      }
      // The box lies on the white block, in the 96 x 64 frame of the image as sent.
      const cx = (ent.box.x1 + ent.box.x2) / 2, cy = (ent.box.y1 + ent.box.y2) / 2;
      expect(cx).toBeGreaterThan(32);
      expect(cx).toBeLessThan(64);
      expect(cy).toBeGreaterThan(16);
      expect(cy).toBeLessThan(48);
      expect(ent.mask.size).toEqual([64, 96]);
      expect(ent.mask.area).toBeGreaterThan(0);
    }
    for (const s of ['entail', 'ground', 'segment']) expect(body.models[s]).toMatchObject({ configured: true, placement: 'in-process', loaded: true });
    expect(body.warnings.join(' ')).not.toMatch(/not configured/);
    expect(Object.keys(body.timings_ms)).toEqual(expect.arrayContaining(['entail_prepare', 'ground_prepare', 'segment_prepare', 'entail']));
  });

  it('a post repeating one name 700 times gets MAX_ENTITIES_PER_POST entities, the rest in dropped with a warning', async () => {
    const text = 'Kevin Durant '.repeat(700).trim();
    const answer = JSON.stringify({ entities: [ENTITIES[0]] });
    const image = toBase64(await encodePng(makeImage(96, 64, (x) => (x < 48 ? [255, 255, 255, 255] : [0, 0, 0, 255]))));
    for (const [cap, n] of [[undefined, 32], ['5', 5]] as const) {
      const e = { ...(await llmAnswering([answer])), MODEL_SET: 'fixtures', ...(cap ? { MAX_ENTITIES_PER_POST: cap } : {}) };
      const res = await app.request('/v1/recognize', json({ text, image: { data: image }, options: { masks: true } }), e);
      expect(res.status).toBe(200);
      const body = await res.json<any>();
      expect(body.entities).toHaveLength(n);
      expect(body.dropped).toEqual([{ text: 'Kevin Durant', type: 'PER', reason: `over the limit of ${n} entities per post (MAX_ENTITIES_PER_POST): ${700 - n} mentions not examined` }]);
      expect(body.warnings.join(' ')).toContain(`${700 - n} of 700 entities were cut`);
      expect(body.entities.every((x: any) => typeof x.groundable === 'boolean')).toBe(true);
    }
  });
});
