import { describe, expect, it } from 'vitest';
import { bestBoxPerQuery, sigmoid } from '../../shared/vision/owl-boxes';
import { owlClassLogits } from '../../shared/vision/owl-head';
import { shortenQuery } from '../../shared/vision/owl-query';
import { parseExpression, naturalText } from '../../shared/pipeline/expression';

describe('best box per query', () => {
  // N = 3 patches, T = 2 queries; logits[p * T + q]
  const logits = new Float32Array([
    0.0, 2.0, // patch 0
    1.5, -1.0, // patch 1
    -3.0, 0.5, // patch 2
  ]);
  const boxes = new Float32Array([
    0.1, 0.1, 0.1, 0.1,
    0.5, 0.5, 0.2, 0.4,
    0.9, 0.9, 0.1, 0.1,
  ]);
  // a stretched 100x50 image: canvas 1x1 normalized, scale by W and H
  const canvas = { width: 1, height: 1 };
  const frame = { scaleX: 100, scaleY: 50, offsetX: 0, offsetY: 0, width: 100, height: 50 };

  it('takes the arg-max patch of each query and its sigmoid probability', () => {
    const r = bestBoxPerQuery(logits, [1, 3, 2], boxes, [1, 3, 4], canvas, frame);
    expect(r[0]?.patch).toBe(1);
    expect(r[0]?.score).toBeCloseTo(sigmoid(1.5), 6);
    expect(r[0]?.box.x1).toBeCloseTo(40, 4);
    expect(r[0]?.box.y1).toBeCloseTo(15, 4);
    expect(r[0]?.box.x2).toBeCloseTo(60, 4);
    expect(r[0]?.box.y2).toBeCloseTo(35, 4);
    expect(r[1]?.patch).toBe(0);
    expect(r[1]?.score).toBeCloseTo(0.880797, 5);
  });

  it('returns null below the minimum score', () => {
    const r = bestBoxPerQuery(logits, [1, 3, 2], boxes, [1, 3, 4], canvas, frame, 0.85);
    expect(r[0]).toBeNull();
    expect(r[1]).not.toBeNull();
  });

  it('passes over a best patch whose box lies in the padding (empty after clamping) to the next best', () => {
    // patch 1's box is moved below the image (a letterbox's padding), patch 2's has no width
    const padded = new Float32Array(boxes);
    padded.set([0.5, 1.5, 0.2, 0.4], 4);
    padded.set([0.9, 0.9, 0, 0.1], 8);
    const r = bestBoxPerQuery(logits, [1, 3, 2], padded, [1, 3, 4], canvas, frame);
    expect(r[0]?.patch).toBe(0); // patch 1 had the best logit for query 0
    expect(r[0]?.score).toBeCloseTo(sigmoid(0), 6);
    expect(r[0]?.box.x2).toBeCloseTo(15, 4);
    expect(r[1]?.patch).toBe(0);
    // no patch with a box in the image: no box
    expect(bestBoxPerQuery(logits, [1, 3, 2], new Float32Array(12).fill(2), [1, 3, 4], canvas, frame)).toEqual([null, null]);
  });

  it('rejects shapes that are not [1,N,T] / [1,N,4]', () => {
    expect(() => bestBoxPerQuery(logits, [1, 2, 3], boxes, [1, 3, 4], canvas, frame)).toThrow(/unexpected shapes/);
  });
});

describe('expansion expressions and 16-token queries', () => {
  it('parses Name(TYPE)-description', () => {
    expect(parseExpression('Kevin Durant(PER)-An American basketball player.')).toEqual({ name: 'Kevin Durant', type: 'PER', description: 'An American basketball player.' });
    expect(parseExpression('Jean-Luc Picard(PER)')).toEqual({ name: 'Jean-Luc Picard', type: 'PER', description: '' });
    expect(parseExpression('just some text')).toEqual({ name: 'just some text', type: null, description: '' });
    expect(naturalText(parseExpression('Kevin Durant(PER)-An American basketball player.'))).toBe('Kevin Durant, an American basketball player');
  });

  it('drops description words from the end until the query fits, and keeps the name', () => {
    const words = (t: string) => t.split(/\s+/).length + 2; // start + end token
    const parts = parseExpression('Kevin Durant(PER)-An American basketball player of the Golden State Warriors');
    expect(shortenQuery(parts, words, 16)).toBe('Kevin Durant, an American basketball player of the Golden State Warriors');
    expect(shortenQuery(parts, words, 8)).toBe('Kevin Durant, an American basketball player');
    expect(shortenQuery(parts, words, 7)).toBe('Kevin Durant, an American basketball');
    // a cut that ends on a comma loses it
    expect(shortenQuery(parseExpression('Houston(LOC)-A city, in Texas'), words, 5)).toBe('Houston, a city');
    expect(shortenQuery(parts, words, 3)).toBe('Kevin Durant');
  });
});

describe('OWL-ViT class head in JS', () => {
  // P = 2 patches, D = 2, Q = 2 queries. Patch embeddings are unit vectors (the graph normalises them).
  const image = {
    classEmbeds: new Float32Array([1, 0, 0.6, 0.8]),
    classDims: [1, 2, 2],
    shift: new Float32Array([0.5, -1]),
    scale: new Float32Array([2, 3]),
  };
  // query 0 = (3, 4): q̂ = (0.6, 0.8) up to the 1e-6 in the norm; query 1 = (0, -2): q̂ = (0, -1)
  const queries = new Float32Array([3, 4, 0, -2]);

  it('computes (⟨e_p, q̂⟩ + shift_p) · scale_p, patch-major [1, P, Q]', () => {
    const { data, dims } = owlClassLogits(image, queries, [2, 2]);
    expect(dims).toEqual([1, 2, 2]);
    // patch 0: ⟨(1,0),(0.6,0.8)⟩ = 0.6 -> (0.6 + 0.5)·2 = 2.2;  ⟨(1,0),(0,-1)⟩ = 0 -> (0 + 0.5)·2 = 1
    // patch 1: ⟨(0.6,0.8),(0.6,0.8)⟩ = 1 -> (1 - 1)·3 = 0;       ⟨(0.6,0.8),(0,-1)⟩ = -0.8 -> (-0.8 - 1)·3 = -5.4
    [2.2, 1, 0, -5.4].forEach((v, i) => expect(data[i]).toBeCloseTo(v, 5));
  });

  it('divides by ‖q‖ + 1e-6, so a zero query gives shift · scale', () => {
    const { data } = owlClassLogits(image, new Float32Array([0, 0]), [1, 2]);
    expect(Array.from(data)).toEqual([1, -3]);
  });

  it('rejects mismatched shapes', () => {
    expect(() => owlClassLogits(image, new Float32Array(3), [1, 3])).toThrow(/unexpected shapes/);
    expect(() => owlClassLogits({ ...image, shift: new Float32Array(1) }, queries, [2, 2])).toThrow(/disagree/);
  });
});
