/**
 * The split deployment through REAL service bindings: every Worker of infra/workers.ts for MODEL_SET=fixtures in one
 * workerd (Miniflare API), each bundled by wrangler from its generated config. The segment stage Worker chains the
 * fixture MobileSAM encoder's two shard Workers over RPC and must give the same masks as the whole graph in one
 * isolate; the api (edge.ts, no ORT) reaches the stage Workers only through its bindings.
 */
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSplit, type Split } from '../../infra/miniflare';
import { imageToWire } from '../../shared/stages/wire';

const ENV = { MODEL_SET: 'fixtures', MODEL_STORE: 'r2' };
const image = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 4).fill(128) };
const BOX = { x1: 30, y1: 20, x2: 100, y2: 90 };

describe('the split deployment in workerd', () => {
  let split: Split;
  let mf: Miniflare;
  beforeAll(async () => {
    split = await startSplit({ env: ENV, only: (w) => w.kind === 'api' || w.name.includes('segment') || w.name.includes('sam') });
    mf = split.mf;
  }, 240_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it('declares one Worker per model shard, bound to the stage that owns the model', () => {
    const seg = split.table.find((w) => w.name === 'gmner-segment')!;
    expect(seg.services.map((s) => s.binding).sort()).toEqual(['MODEL_SAM_DECODER_A', 'SHARD_MOBILESAM_ENCODER_0', 'SHARD_MOBILESAM_ENCODER_1']);
    expect(split.table.filter((w) => w.kind === 'shard').map((w) => w.vars.PART_SHARD)).toEqual(['0', '1']);
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
});
