/**
 * The split deployment through REAL service bindings: every Worker of infra/workers.ts for MODEL_SET=fixtures in one
 * workerd (Miniflare API), each bundled by wrangler from its generated config. The segment stage Worker chains the
 * fixture MobileSAM encoder's two shard Workers over RPC and must give the same masks as the whole graph in one
 * isolate; the api (edge.ts, no ORT) reaches the stage Workers only through its bindings.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedApiKey, startSplit, type Split } from '../../infra/miniflare';
import { imageToWire } from '../../shared/stages/wire';
import { startLlmServer, type LlmServerHandle } from '../llm-server/server';
import { gradientPng } from '../support/png-node';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';

// every model in a Worker of its own (the fixture models are small enough that the stages would run them themselves)
const ENV = { MODEL_SET: 'fixtures', MODEL_STORE: 'r2', STAGE_LOCAL_MODELS_MB: '0' };
const image = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 4).fill(128) };
const BOX = { x1: 30, y1: 20, x2: 100, y2: 90 };

const POST = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;

describe('the split deployment in workerd', () => {
  let split: Split;
  let mf: Miniflare;
  let llm: LlmServerHandle;
  let auth: Record<string, string>;
  beforeAll(async () => {
    llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
    split = await startSplit({
      env: ENV,
      apiVars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded' },
      // plus a second segment Worker whose model Workers have a 1 MB budget: they refuse every model
      transform: (table) => {
        const seg = table.find((w) => w.name === 'gmner-segment')!;
        const tight = (name: string) => `${name}-tight`;
        const pieces = table.filter((w) => seg.services.some((s) => s.service === w.name));
        return [
          ...table,
          { ...seg, name: tight(seg.name), services: seg.services.map((s) => ({ ...s, service: tight(s.service) })) },
          ...pieces.map((w) => ({ ...w, name: tight(w.name), vars: { ...w.vars, MEMORY_BUDGET_MB: '1' } })),
        ];
      },
    });
    mf = split.mf;
    // an API key in the api's D1, as `npm run keys -- migrate` and `create` would make it
    auth = { authorization: `Bearer ${await seedApiKey(mf)}` };
  }, 300_000);
  afterAll(async () => {
    await mf?.dispose();
    await llm?.close();
  });

  it('the api bundle carries no onnxruntime wasm; the stage and model Workers do', () => {
    const wasm = (main: string) => readdirSync(split.builds.get(main)!).filter((f) => f.includes('ort-wasm'));
    expect(wasm('functions/api/edge.ts')).toEqual([]);
    expect(wasm('functions/shard/index.ts')).toHaveLength(1);
  });

  it('declares one Worker per model shard, bound to the stage that owns the model', () => {
    const seg = split.table.find((w) => w.name === 'gmner-segment')!;
    expect(seg.services.map((s) => s.binding).sort()).toEqual(['MODEL_SAM_DECODER_A', 'SHARD_MOBILESAM_ENCODER_0', 'SHARD_MOBILESAM_ENCODER_1']);
    expect(split.table.filter((w) => w.kind === 'shard' && !w.name.endsWith('-tight')).map((w) => w.vars.PART_SHARD)).toEqual(['0', '1']);
  });

  it('the segment Worker chains the encoder shards over RPC and gives the whole graph\'s masks', async () => {
    const heap = async (i: number) => {
      const shard = await mf.getWorker(`gmner-shard-mobilesam-encoder-${i}`);
      return (await (await shard.fetch('http://shard/healthz')).json()) as { model: string; wasm_heap_bytes: number };
    };
    // no shard Worker has started ORT yet
    for (const i of [0, 1]) expect(await heap(i)).toEqual({ model: `mobilesam-encoder#shard${i}`, wasm_heap_bytes: 0 });
    const seg = await mf.getWorker('gmner-segment');
    const res = await seg.fetch('http://segment/v1/segment', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: imageToWire(image), image_key: 'k1', boxes: [BOX], output: { width: 160, height: 120 } }),
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { area: number }[] };
    expect(results[0].area).toBe(70 * 70);
    // the masks came through both shard Workers: each started ORT and created its shard's session
    for (const i of [0, 1]) expect((await heap(i)).wasm_heap_bytes).toBeGreaterThan(0);
  }, 60_000);

  it('a problem in a model Worker keeps its kind across the real binding (model-over-budget, 503)', async () => {
    const seg = await mf.getWorker('gmner-segment-tight');
    const res = await seg.fetch('http://segment/v1/prepare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: imageToWire(image), image_key: 'k2' }) });
    const p = (await res.json()) as { type: string; detail: string };
    expect(res.status, JSON.stringify(p)).toBe(503);
    expect(p.type).toBe('https://gmner.dev/problems/model-over-budget');
    // prepare warms the encoder's shards and the decoder at once; whichever refuses first is named
    expect(p.detail).toMatch(/the Worker hosting (model "sam-decoder-a"|shard \d of "mobilesam-encoder"): Model "[^"]+" needs about/);
  }, 60_000);

  it('the api (no ORT) answers /v1/recognize with masks through its service bindings to the stage Workers', async () => {
    const png = gradientPng(96, 64);
    const res = await mf.dispatchFetch('http://localhost/v1/recognize', {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: POST, image: { data: Buffer.from(png).toString('base64'), media_type: 'image/png' }, options: { masks: true } }),
    });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.models.segment).toMatchObject({ placement: 'service-binding', model: 'rpc:SEGMENT_SERVICE' });
    expect(body.entities.length).toBeGreaterThan(0);
    for (const e of body.entities) expect(typeof e.entailment_score).toBe('number');
    expect(body.entities.some((e: any) => e.mask !== null)).toBe(true);
  }, 120_000);
});
