import { describe, expect, it } from 'vitest';
import { DEFAULT_ENTAIL_CALIBRATION, decide, entailFeatures, groundableProbability } from '../../shared/vision/calibration';
import { bestF1Threshold, fitCalibration, fitLogistic, metricsAt, type LabelledFeatures } from '../../shared/vision/logistic-fit';
import { cosine, l2Normalize, meanDirection } from '../../shared/vision/embeddings';
import { LruCache } from '../../shared/vision/lru';

describe('entailment features and the default calibration', () => {
  it('measures similarity and margin in CLIP logit units', () => {
    const f = entailFeatures(0.3, [0.25, 0.28]);
    expect(f.similarity).toBeCloseTo(30, 9);
    expect(f.margin).toBeCloseTo(2, 9);
  });

  it('default: sigmoid(margin), threshold 0.5 = beats every generic negative', () => {
    expect(groundableProbability({ similarity: 30, margin: 2 }, DEFAULT_ENTAIL_CALIBRATION)).toBeCloseTo(0.880797, 5);
    expect(decide({ similarity: 30, margin: -0.5 }, DEFAULT_ENTAIL_CALIBRATION)).toEqual({ groundable: false, score: expect.closeTo(0.377541, 5) });
    expect(decide({ similarity: 10, margin: 0 }, DEFAULT_ENTAIL_CALIBRATION).groundable).toBe(true);
    expect(DEFAULT_ENTAIL_CALIBRATION.source).toBe('default');
  });

  it('cosine similarity of unnormalized vectors', () => {
    expect(cosine(new Float32Array([3, 4]), new Float32Array([4, 3]))).toBeCloseTo(24 / 25, 6);
    expect(Array.from(l2Normalize(new Float32Array([0, 0])))).toEqual([0, 0]);
    const m = meanDirection([new Float32Array([2, 0]), new Float32Array([0, 5])]);
    expect(m[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(m[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });
});

describe('fitting the calibration', () => {
  // Counts drawn exactly from p = sigmoid(-2.5 + 0.1 * similarity + 1 * margin), so the maximum
  // likelihood solution is (close to) those coefficients.
  function synthetic(): LabelledFeatures[] {
    const data: LabelledFeatures[] = [];
    for (const similarity of [20, 25, 30]) {
      for (const margin of [-2, -1, 0, 1, 2]) {
        const p = 1 / (1 + Math.exp(-(-2.5 + 0.1 * similarity + margin)));
        const pos = Math.round(2000 * p);
        for (let i = 0; i < 2000; i++) data.push({ features: { similarity, margin }, groundable: i < pos });
      }
    }
    return data;
  }

  it('recovers the generating coefficients', () => {
    const [b, ws, wm] = fitLogistic(synthetic(), { l2: 0 });
    expect(b).toBeCloseTo(-2.5, 1);
    expect(ws).toBeCloseTo(0.1, 2);
    expect(wm).toBeCloseTo(1, 2);
  });

  it('refuses a set with one class only', () => {
    expect(() => fitLogistic([{ features: { similarity: 1, margin: 1 }, groundable: true }])).toThrow(/both/);
  });

  it('picks the F1-best threshold and reports where it was fitted', () => {
    const scored = [
      { p: 0.9, groundable: true }, { p: 0.6, groundable: true }, { p: 0.4, groundable: true },
      { p: 0.35, groundable: false }, { p: 0.2, groundable: false },
    ];
    // at 0.4: tp 3, fp 0 -> F1 1
    expect(bestF1Threshold(scored)).toBe(0.4);
    expect(metricsAt(scored, 0.5)).toMatchObject({ accuracy: 0.8, f1: 0.8 });
    const cal = fitCalibration(synthetic(), 'synthetic', '2026-11-26', { threshold: 'f1' });
    expect(cal.source).toBe('fitted');
    expect(cal.fitted_on).toMatchObject({ dataset: 'synthetic', entities: 30000 });
    expect(cal.threshold).toBeGreaterThan(0);
    expect(cal.threshold).toBeLessThan(1);
  });
});

describe('LRU cache for image-level results', () => {
  it('evicts the least recently used key', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.set('c', 3);
    expect(c.has('a')).toBe(true);
    expect(c.has('b')).toBe(false);
    expect(c.size).toBe(2);
  });

  it('shares an in-flight promise and forgets a failed one', async () => {
    const c = new LruCache<Promise<number>>(3);
    let made = 0;
    const p1 = c.getOrCreate('k', async () => ++made);
    const p2 = c.getOrCreate('k', async () => ++made);
    expect(await p1).toBe(1);
    expect(await p2).toBe(1);
    const bad = c.getOrCreate('x', async () => { throw new Error('boom'); });
    await expect(bad).rejects.toThrow('boom');
    await Promise.resolve();
    expect(c.has('x')).toBe(false);
  });
});
