/**
 * entail end to end: MobileCLIP stage over the real runtime with fixture towers whose embeddings
 * are simple functions of the pixels and token ids, so each score is computed here independently.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MobileClipEntail, DEFAULT_NEGATIVES, DEFAULT_TEMPLATES, type EntailConfig } from '../../shared/stages/entail-mobileclip';
import { DEFAULT_ENTAIL_CALIBRATION, type LogisticCalibration } from '../../shared/vision/calibration';
import { applyTemplate, naturalText, parseExpression } from '../../shared/pipeline/expression';
import type { RgbaImage } from '../../shared/image/types';
import { fixtureTokenizers } from '../../models/fixtures/vision-tokenizer';
import { fixtureSimilarity, visionBench, type VisionBench } from '../support/vision-fixtures';

let bench: VisionBench;
beforeAll(async () => {
  bench = await visionBench();
});

const solid = (w: number, h: number, rgb: [number, number, number]): RgbaImage => {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return { width: w, height: h, data };
};

const config = (calibration: LogisticCalibration = DEFAULT_ENTAIL_CALIBRATION): EntailConfig => ({
  visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', calibration,
  negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize: 4,
});

async function expectedFeatures(expression: string, means: [number, number, number]) {
  const tok = await fixtureTokenizers('mobileclip-s0-text', bench.entries.find((e) => e.id === 'mobileclip-s0-text')!);
  const text = naturalText(parseExpression(expression));
  const similarity = fixtureSimilarity(DEFAULT_TEMPLATES.map((t) => tok.encode(applyTemplate(t, text)).ids), means);
  const negatives = DEFAULT_NEGATIVES.map((n) => fixtureSimilarity([tok.encode(n).ids], means));
  return { similarity, margin: similarity - Math.max(...negatives) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('entail with MobileCLIP towers (fixtures)', () => {
  const expressions = [
    'Kevin Durant(PER)-An American basketball player of the Golden State Warriors.',
    'Houston(LOC)-A city in Texas',
    'NBA(ORG)',
  ];

  it('scores every expression of a post against the image with the default calibration', async () => {
    const stage = new MobileClipEntail(bench.models, config());
    const means: [number, number, number] = [200 / 255, 40 / 255, 120 / 255];
    const out = await stage.entail(solid(300, 200, [200, 40, 120]), 'e1', expressions);
    expect(out).toHaveLength(3);
    for (let i = 0; i < expressions.length; i++) {
      const f = await expectedFeatures(expressions[i], means);
      expect(out[i].score).toBeCloseTo(sigmoid(f.margin), 4); // default: sigmoid(margin)
      expect(out[i].groundable).toBe(f.margin >= 0);
    }
  });

  it('applies the manifest calibration (weights, bias, threshold)', async () => {
    const means: [number, number, number] = [10 / 255, 250 / 255, 90 / 255];
    const f0 = await expectedFeatures(expressions[0], means);
    const f2 = await expectedFeatures(expressions[2], means);
    expect(f0.similarity).not.toBeCloseTo(f2.similarity, 1);
    // a threshold between the two similarities makes exactly one of them groundable
    const cut = (f0.similarity + f2.similarity) / 2;
    const cal: LogisticCalibration = { weights: { similarity: 2, margin: 0 }, bias: -2 * cut, threshold: 0.5, source: 'fitted' };
    const out = await new MobileClipEntail(bench.models, config(cal)).entail(solid(256, 256, [10, 250, 90]), 'e2', [expressions[0], expressions[2]]);
    expect(out[0].score).toBeCloseTo(sigmoid(2 * (f0.similarity - cut)), 4);
    expect(out[1].score).toBeCloseTo(sigmoid(2 * (f2.similarity - cut)), 4);
    expect(out.map((o) => o.groundable)).toEqual([f0.similarity > cut, f2.similarity > cut]);
    expect(out[0].groundable).not.toBe(out[1].groundable);
  });

  it('runs the image tower once per image, the negatives once per isolate, and one text batch per post', async () => {
    const stage = new MobileClipEntail(bench.models, config());
    const img = solid(64, 48, [1, 2, 3]);
    const v0 = bench.runs.get('mobileclip-s0-vision') ?? 0;
    const t0 = bench.runs.get('mobileclip-s0-text') ?? 0;
    await stage.prepare(img, 'e3');
    // prepare does all the expression-free work: the image tower and the negatives' text batch
    expect((bench.runs.get('mobileclip-s0-vision') ?? 0) - v0).toBe(1);
    expect((bench.runs.get('mobileclip-s0-text') ?? 0) - t0).toBe(1);
    await stage.entail(img, 'e3', expressions);
    await stage.entail(img, 'e3', expressions.slice(0, 1));
    expect((bench.runs.get('mobileclip-s0-vision') ?? 0) - v0).toBe(1);
    expect((bench.runs.get('mobileclip-s0-text') ?? 0) - t0).toBe(1 + 2);
    await stage.entail(solid(64, 48, [9, 9, 9]), 'e4', expressions);
    expect((bench.runs.get('mobileclip-s0-vision') ?? 0) - v0).toBe(2);
  });

  it('does nothing for a post without entities', async () => {
    const v0 = bench.runs.get('mobileclip-s0-vision') ?? 0;
    expect(await new MobileClipEntail(bench.models, config()).entail(solid(8, 8, [0, 0, 0]), 'e5', [])).toEqual([]);
    expect(bench.runs.get('mobileclip-s0-vision') ?? 0).toBe(v0);
  });
});
