/**
 * Inputs for the fixture models and the outputs their documented behaviour predicts, computed here in plain JS,
 * so tests compare what the real runtime returned with an independent expectation.
 */
import { expect } from 'vitest';
import { tensor, type TensorData } from '../../shared/onnx/tensors';
import type { ProblemError, ProblemKind } from '../../shared/problems';
import { problemOf } from '../support/problem-of';

/** Awaits `p`, expecting a ProblemError of `kind` whose detail matches every pattern. */
export async function expectProblem(p: Promise<unknown>, kind: ProblemKind, ...patterns: RegExp[]): Promise<ProblemError> {
  const problem = await problemOf(p, `expected a ${kind} problem`);
  expect(problem.kind, problem.message).toBe(kind);
  for (const re of patterns) expect(problem.message).toMatch(re);
  return problem;
}

/** A 256x256 image whose channels hold constant r, g, b. */
export function visionFeeds(r: number, g: number, b: number): Record<string, TensorData> {
  const data = new Float32Array(3 * 256 * 256);
  [r, g, b].forEach((v, c) => data.fill(v, c * 65536, (c + 1) * 65536));
  return { pixel_values: tensor('float32', data, [1, 3, 256, 256]) };
}

export function textFeeds(ids: number[]): Record<string, TensorData> {
  const row = BigInt64Array.from({ length: 77 }, (_, i) => BigInt(ids[i] ?? 0));
  return { input_ids: tensor('int64', row, [1, 77]) };
}

/** Bag-of-tokens histogram the text fixture should produce. */
export function textExpected(ids: number[]): number[] {
  const h = new Array(512).fill(0);
  for (let i = 0; i < 77; i++) h[(ids[i] ?? 0) % 512]++;
  return h;
}

/** OWL-ViT image part: a black 768x768 image with one bright 32x32 patch at grid cell (gx, gy). */
export function owlImageFeeds(gx: number, gy: number): Record<string, TensorData> {
  const px = new Float32Array(3 * 768 * 768);
  for (let c = 0; c < 3; c++) for (let y = gy * 32; y < gy * 32 + 32; y++) px.fill(1, c * 768 * 768 + y * 768 + gx * 32, c * 768 * 768 + y * 768 + gx * 32 + 32);
  return { pixel_values: tensor('float32', px, [1, 3, 768, 768]) };
}

/** OWL-ViT query part: one row of 16 ids per query, the first `attended[q]` attended. */
export function owlQueryFeeds(rows: number[][], attended: number[]): Record<string, TensorData> {
  const ids = BigInt64Array.from({ length: rows.length * 16 }, (_, i) => BigInt(rows[Math.floor(i / 16)][i % 16] ?? 0));
  const mask = BigInt64Array.from({ length: rows.length * 16 }, (_, i) => (i % 16 < attended[Math.floor(i / 16)] ? 1n : 0n));
  return { input_ids: tensor('int64', ids, [rows.length, 16]), attention_mask: tensor('int64', mask, [rows.length, 16]) };
}

export function encoderFeeds(h: number, w: number, rgb: [number, number, number]): Record<string, TensorData> {
  return { input_image: tensor('float32', Float32Array.from({ length: h * w * 3 }, (_, i) => rgb[i % 3]), [h, w, 3]) };
}

/** Contract A feeds for a box (x0, y0, x1, y1) in original pixels of an H x W image. */
export function decoderAFeeds(box: [number, number, number, number], h: number, w: number): Record<string, TensorData> {
  const s = 1024 / Math.max(h, w);
  return {
    image_embeddings: tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
    point_coords: tensor('float32', Float32Array.from(box.map((v) => v * s)), [1, 2, 2]),
    point_labels: tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: tensor('float32', Float32Array.from([h, w]), [2]),
  };
}

/** Contract B feeds: boxes in the 1024 frame, one ignored padding point. */
export function decoderBFeeds(boxes: [number, number, number, number][]): Record<string, TensorData> {
  const emb = () => tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]);
  return {
    input_points: tensor('float32', new Float32Array(2), [1, 1, 1, 2]),
    input_labels: tensor('int64', BigInt64Array.from([-10n]), [1, 1, 1]),
    input_boxes: tensor('float32', Float32Array.from(boxes.flat()), [1, boxes.length, 4]),
    image_embeddings: emb(),
    image_positional_embeddings: emb(),
  };
}

/** Which cells of an n x m grid have centres ((i + 0.5) * step) strictly inside [x0, x1] x [y0, y1]. */
export function insideBox(rows: number, cols: number, step: number, [x0, y0, x1, y1]: number[]): boolean[] {
  const out: boolean[] = [];
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) {
    const cx = (x + 0.5) * step, cy = (y + 0.5) * step;
    out.push(cx > x0 && cx < x1 && cy > y0 && cy < y1);
  }
  return out;
}

export const positive = (data: ArrayLike<number>, from: number, count: number): boolean[] => Array.from({ length: count }, (_, i) => data[from + i] > 0);
