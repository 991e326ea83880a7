/**
 * ground end to end with OWL-ViT in parts over the real runtime: image part in prepare(), query part and the
 * JS class head in ground(). With the fixture parts the best box is the brightest 32 x 32 patch of the
 * 768 x 768 input, so a white block drawn on one patch's footprint in the image must come back as exactly
 * that block, in image pixels, for both resize policies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OwlGround } from '../../shared/stages/ground-owl';
import type { RgbaImage } from '../../shared/image/types';
import { fixtureTokenizers } from '../../models/fixtures/vision-tokenizer';
import { OWL_LETTERBOX_ID, visionBench, type VisionBench } from '../support/vision-fixtures';

let bench: VisionBench;
beforeAll(async () => {
  bench = await visionBench();
});

/** Black, with a white block [x1, x2) x [y1, y2). */
export function blockImage(w: number, h: number, b: { x1: number; y1: number; x2: number; y2: number }): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const on = x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2 ? 255 : 0;
    data.set([on, on, on, 255], (y * w + x) * 4);
  }
  return { width: w, height: h, data };
}

/** Boxes come from float32 model outputs: equal to 1e-4 px. */
function expectBox(actual: { x1: number; y1: number; x2: number; y2: number } | undefined, expected: { x1: number; y1: number; x2: number; y2: number }) {
  expect(actual).toBeDefined();
  for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(actual![k]).toBeCloseTo(expected[k], 4);
}

const IMAGE = 'owlvit-b32-image';
const QUERY = 'owlvit-b32-query';
const stage = (imageModel: string, minScore = 0) => new OwlGround(bench.models, { imageModel, queryModel: QUERY, minScore, cacheSize: 4 });
const runs = (id: string) => bench.runs.get(id) ?? 0;

describe('ground with OWL-ViT (fixture detector)', () => {
  it('stretch (the manifest\'s HF processor policy): x scales by W/768, y by H/768', async () => {
    // 384 x 192 stretched to 768: a patch is 16 x 8 image pixels; patch (5, 7) = [80, 96) x [56, 64)
    const block = { x1: 80, y1: 56, x2: 96, y2: 64 };
    const [g] = await stage(IMAGE).ground(blockImage(384, 192, block), 'g1', ['Kevin Durant(PER)-An American basketball player']);
    expectBox(g?.box, block);
    expect(g?.score).toBeGreaterThan(0.99);
  });

  it('letterbox: content top-left in the padded square, both axes scale by max(W, H)/768', async () => {
    // 384 x 192 -> 768 x 384 + padding: a patch is 16 x 16 image pixels; patch (5, 2) = [80, 96) x [32, 48)
    const block = { x1: 80, y1: 32, x2: 96, y2: 48 };
    const [g] = await stage(OWL_LETTERBOX_ID).ground(blockImage(384, 192, block), 'g2', ['Kevin Durant(PER)-An American basketball player']);
    expectBox(g?.box, block);
  });

  it('runs the image part once in prepare() and the query part once per post over all expressions', async () => {
    const s = stage(OWL_LETTERBOX_ID);
    const block = { x1: 160, y1: 96, x2: 176, y2: 112 };
    const img = blockImage(384, 192, block);
    const before = { image: runs(OWL_LETTERBOX_ID), query: runs(QUERY) };
    await s.prepare(img, 'g3');
    expect(runs(OWL_LETTERBOX_ID) - before.image).toBe(1);
    expect(runs(QUERY) - before.query).toBe(0);
    const out = await s.ground(img, 'g3', ['Kevin Durant(PER)-An American basketball player', 'Houston(LOC)-A city in Texas', 'NBA(ORG)']);
    await s.ground(img, 'g3', ['NBA(ORG)']);
    expect(runs(OWL_LETTERBOX_ID) - before.image).toBe(1);
    expect(runs(QUERY) - before.query).toBe(2);
    expect(bench.lastDims.get(OWL_LETTERBOX_ID)).toEqual({ pixel_values: [1, 3, 768, 768] });
    expect(bench.lastDims.get(QUERY)).toEqual({ input_ids: [1, 16], attention_mask: [1, 16] });
    out.forEach((g) => expectBox(g?.box, block));
    // the fixture query embedding is a bag of tokens: more distinct tokens, a higher score
    expect(out[0]!.score).toBeGreaterThan(out[2]!.score);
  });

  it('scores with the class head: logit = (Σ bag / (√512 ‖bag‖) + patch brightness) · 4', async () => {
    const s = stage(IMAGE);
    const [query] = await s.queries(['NBA(ORG)']);
    const tok = await fixtureTokenizers(QUERY, bench.entries.find((e) => e.id === QUERY)!);
    const bag = new Map<number, number>();
    for (const id of tok.encode(query).ids) bag.set(id % 512, (bag.get(id % 512) ?? 0) + 1);
    const counts = [...bag.values()];
    const text = counts.reduce((a, c) => a + c, 0) / (Math.sqrt(512) * (Math.hypot(...counts) + 1e-6));
    // an all-white image (every patch alike, so no resampling edge): white normalised by CLIP mean/std, averaged over channels
    const white = [0, 1, 2].map((c) => (1 - [0.48145466, 0.4578275, 0.40821073][c]) / [0.26862954, 0.26130258, 0.27577711][c]).reduce((a, v) => a + v, 0) / 3;
    const [g] = await s.ground(blockImage(64, 64, { x1: 0, y1: 0, x2: 64, y2: 64 }), 'g6', ['NBA(ORG)']);
    expect(g!.score).toBeCloseTo(1 / (1 + Math.exp(-(text + white) * 4)), 5);
  });

  it('shortens each expression to 16 tokens, keeping the name', async () => {
    const s = stage(IMAGE);
    const [q1, q2, q3] = await s.queries([
      'Kevin Durant(PER)-An American basketball player', // kevin(5) durant(6) ,(1) an(2) + start/end = 16
      'Giannis Antetokounmpo(PER)-A Greek basketball player', // the name alone is 22 tokens
      'NBA(ORG)',
    ]);
    expect(q1).toBe('Kevin Durant, an');
    expect(q2).toBe('Giannis Antetokounmpo');
    expect(q3).toBe('NBA');
    const tok = await fixtureTokenizers(QUERY, bench.entries.find((e) => e.id === QUERY)!);
    expect(tok.encode(q1).ids.length).toBe(16);
  });

  it('gives no box below the minimum score, and runs nothing for no expressions', async () => {
    const black = blockImage(64, 64, { x1: 0, y1: 0, x2: 0, y2: 0 });
    expect(await stage(IMAGE, 0.5).ground(black, 'g4', ['NBA(ORG)'])).toEqual([null]);
    const before = runs(QUERY);
    expect(await stage(IMAGE).ground(black, 'g5', [])).toEqual([]);
    expect(runs(QUERY)).toBe(before);
  });
});
