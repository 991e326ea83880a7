/**
 * The stage hosts and the api's remote clients: each stage Worker's RPC entrypoint and HTTP face
 * serve the stage built from their environment (MODEL_SET=fixtures through the production model
 * layer), and the api's HTTP client gets back exactly what the stage computes in-process.
 */
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rleDecode } from '../../shared/vision/rle';
import type { RgbaImage } from '../../shared/image/types';
import { ProblemError } from '../../shared/problems';
import { visionStagesFromEnv } from '../../shared/stages/from-env';
import { httpStage } from '../../shared/stages/remote';
import { imageFromWire, imageToWire } from '../../shared/stages/wire';
import segmentWorker, { SegmentService } from '../../functions/segment/index';
import entailWorker, { EntailService } from '../../functions/entail/index';
import groundWorker from '../../functions/ground/index';

const ENV = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin' };
const grey = (w: number, h: number): RgbaImage => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(128) });
const BOX = { x1: 30, y1: 20, x2: 100, y2: 90 };

/** A fetch that delivers to a Worker's fetch handler in-process, as a service binding or a URL would. */
const toWorker = (worker: { fetch: (req: Request, env: Record<string, unknown>, ctx: ExecutionContext) => Response | Promise<Response> }, env: Record<string, unknown> = ENV) =>
  ((input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(worker.fetch(new Request(input, init), env, createExecutionContext()))) as typeof fetch;

describe('stage Workers', () => {
  it('segment: the RPC entrypoint answers with the stage built from MODEL_SET=fixtures', async () => {
    const svc = new SegmentService(createExecutionContext(), ENV);
    const img = grey(160, 120);
    await svc.prepare(img, 'h1');
    const [seg] = await svc.segment(img, 'h1', [BOX], { width: 160, height: 120 });
    expect(seg.area).toBe(70 * 70);
  });

  it('entail: the RPC entrypoint returns one decision per expression', async () => {
    const svc = new EntailService(createExecutionContext(), ENV);
    const out = await svc.entail(grey(64, 64), 'h2', ['NBA(ORG)', 'Houston(LOC)-A city in Texas']);
    expect(out).toHaveLength(2);
    for (const o of out) expect(o.score).toBeGreaterThan(0);
  });

  it('the HTTP client over the HTTP face gives the same masks as the stage in-process', async () => {
    const remote = httpStage('segment', 'http://segment.internal', { fetch: toWorker(segmentWorker) });
    const img = grey(160, 120);
    await remote.prepare!(img, 'h3');
    const [viaHttp] = await remote.segment(img, 'h3', [BOX], { width: 160, height: 120 });
    const [inProcess] = await new SegmentService(createExecutionContext(), ENV).segment(img, 'h3', [BOX], { width: 160, height: 120 });
    expect(viaHttp).toEqual(inProcess);
    expect(rleDecode(viaHttp.mask).reduce((a, v) => a + v, 0)).toBe(4900);
  });

  it('health and problem answers', async () => {
    const ok = await groundWorker.fetch(new Request('http://g/healthz'), ENV, createExecutionContext());
    expect(await ok.json()).toEqual({ stage: 'ground', id: 'ground:owlvit-b32-image+owlvit-b32-query' });
    const bad = await segmentWorker.fetch(new Request('http://s/v1/segment', { method: 'POST', body: '{"image": 1}' }), ENV, createExecutionContext());
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    // a host whose stage is not configured: the client rethrows the host's problem kind and detail
    const remote = httpStage('entail', 'http://entail.internal', { fetch: toWorker(entailWorker, { ...ENV, ENTAIL_TEXT_MODEL: 'no-such-model' }) });
    const err = await remote.entail(grey(8, 8), 'h4', ['x']).catch((e) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).kind).toBe('stage-failed');
    expect((err as ProblemError).message).toMatch(/ENTAIL_TEXT_MODEL names "no-such-model"/);
  });

  it('the wire format carries the exact pixels', () => {
    const img: RgbaImage = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) };
    expect(imageFromWire(imageToWire(img))).toEqual(img);
    expect(() => imageFromWire({ width: 4, height: 2, rgba: imageToWire(img).rgba })).toThrow(RangeError);
  });
});

describe('placement from the environment', () => {
  it('service binding -> RPC, URL -> HTTP, neither -> in-process', () => {
    const binding = { prepare: async () => undefined, segment: async () => [] };
    const placed = visionStagesFromEnv({ ENTAIL_URL: 'http://entail.internal', SEGMENT_SERVICE: binding, GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'http://v/v1', VLM_API_KEY: 'k', VLM_MODEL: 'm' }, { entries: [] });
    expect(placed.placement).toEqual({ entail: 'url', ground: 'in-process', segment: 'service-binding' });
    expect(placed.entail?.id).toBe('entail:http:ENTAIL_URL');
    expect(placed.segment?.id).toBe('segment:rpc:SEGMENT_SERVICE');
    expect(placed.ground?.id).toBe('ground:vlm:m');
    expect(placed.missing).toEqual({});
  });

  it('an in-process stage without models in the set is null and says what to set', () => {
    const placed = visionStagesFromEnv({ ENTAIL_URL: 'http://e', GROUND_URL: 'http://g' }, { entries: [] });
    expect(placed.segment).toBeNull();
    expect(placed.missing).toEqual({ segment: ['SEGMENT_ENCODER_MODEL', 'SEGMENT_DECODER_MODEL'] });
  });
});
