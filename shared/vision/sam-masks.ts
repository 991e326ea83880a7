/**
 * SAM mask post-processing and selection, as segment_anything/utils/onnx.py (contract A) and
 * transformers' SamProcessor.post_process_masks (contract B) do it: low-res logits (256 x 256) ->
 * bilinear to the padded 1024 square -> crop the resized image region -> bilinear to the output
 * size -> logits > 0.
 *
 * The output is the original image (up to MAX_IMAGE_PIXELS, 40 MP), so the last step never makes an
 * output-size plane: lowResMaskToRle writes the thresholded resize straight into COCO RLE, bit for bit
 * what the full-size path (upscaleLowResMask + binarize + rleEncode, kept as the reference) gives.
 */
import { RleWriter, type RleMask } from './rle';
import { bilinearResize, bilinearWindow, taps } from './interpolate';
import { SAM_INPUT_SIZE } from './sam-transform';
import type { Size } from '../image/types';

export const SAM_MASK_THRESHOLD = 0;

/** logits `[H,W]` float32 -> `[H,W]` uint8 0/1 bitmap (logits > threshold, same frame, row-major), with its area in pixels. */
export function binarize(logits: Float32Array, threshold = SAM_MASK_THRESHOLD): { bits: Uint8Array; area: number } {
  const bits = new Uint8Array(logits.length);
  let area = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > threshold) {
      bits[i] = 1;
      area++;
    }
  }
  return { bits, area };
}

/**
 * The full-size reference: one low-res mask plane (`[256,256]` float32 logits, row-major, covering the
 * whole `padSize` square) -> logits `[output.height,output.width]` float32 in output-image pixels, a float
 * per output pixel (160 MB at 40 MP). The stage uses lowResMaskToRle. `resized` is the image's size inside
 * the padded `padSize` square (ResizeLongestSide of the encoder input); the padding is cropped away.
 */
export function upscaleLowResMask(
  lowRes: Float32Array, lowSize: Size, resized: Size, output: Size, padSize = SAM_INPUT_SIZE,
): Float32Array {
  const cropped = bilinearWindow(lowRes, lowSize.width, lowSize.height, padSize, padSize, resized.width, resized.height);
  return bilinearResize(cropped, resized.width, resized.height, output.width, output.height);
}

/**
 * Which of the C mask tokens to keep (`iou` `[C]`: one box's predicted IoUs), by
 * SamOnnxModel.select_masks: score = iou + (points - 2.5) * [1000, 0, 0, …]. For a box (two corner
 * points) token 0, the single-mask output, is pushed down by 500 and the best multimask token by
 * predicted IoU wins; with three tokens (transformers.js exports, token 0 not exported) it is the
 * plain arg-max of predicted IoU.
 */
export function selectMask(iou: ArrayLike<number>, promptPoints = 2): number {
  const c = iou.length;
  if (c === 0) throw new Error('the decoder returned no mask');
  let best = 0;
  let bestScore = -Infinity;
  for (let k = 0; k < c; k++) {
    const score = iou[k] + (c === 4 && k === 0 ? (promptPoints - 2.5) * 1000 : 0);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/**
 * One low-res mask plane (`[256,256]` float32 logits over the `padSize` model frame) -> {COCO RLE
 * (column-major) in output-image pixels, area}: SAM's post-processing with the last
 * resize done by resizedMaskRle, so memory is the `resized` plane (at most 1024 x 1024 floats) plus
 * O(output width + height), whatever the output size.
 */
export function lowResMaskToRle(
  lowRes: Float32Array, lowSize: Size, resized: Size, output: Size, padSize = SAM_INPUT_SIZE,
): { mask: RleMask; area: number } {
  const cropped = bilinearWindow(lowRes, lowSize.width, lowSize.height, padSize, padSize, resized.width, resized.height);
  return resizedMaskRle(cropped, resized.width, resized.height, output.width, output.height);
}

/** Positive enough that a convex combination of two finite such values stays > 0 after rounding to float32. */
const CLEARLY_ON = 1e-30;

/**
 * binarize(bilinearResize(src, inW, inH, outW, outH)) as COCO RLE, without the outW x outH planes:
 * `src` `[inH,inW]` float32 logits, row-major; the RLE is `[outH,outW]`, column-major, same content stretched.
 * RLE runs down columns, so it goes column by column: the column's horizontal interpolation at each
 * source row (inH doubles), then the output rows. The rows between the same two source rows (a run
 * of about outH / inH when upscaling) are one run when both ends are <= 0 (all off) or clearly > 0
 * (all on); only rows where the sign changes are evaluated one by one, with the same float
 * operations, in the same order, as bilinearWindow and its float32 store, so every bit is the same.
 * (The all-off shortcut relies on the threshold being 0: a convex combination of values <= 0 is <= 0.)
 * Cost O(outW * inH + boundary rows) instead of O(outW * outH).
 */
export function resizedMaskRle(src: Float32Array, inW: number, inH: number, outW: number, outH: number): { mask: RleMask; area: number } {
  if (src.length < inW * inH) throw new RangeError(`plane has ${src.length} values, expected ${inW}x${inH}`);
  if (inW === outW && inH === outH) return thresholdRle(src, outW, outH);
  const tx = taps(inW, outW, outW);
  const ty = taps(inH, outH, outH);
  // Output rows grouped by their upper source row (non-decreasing in y): group g is rows starts[g]..starts[g+1]-1.
  const starts: number[] = [];
  for (let y = 0; y < outH; y++) if (y === 0 || ty.i0[y] !== ty.i0[y - 1]) starts.push(y);
  starts.push(outH);
  const col = new Float64Array(inH);
  const out = new RleWriter(outH, outW);
  // Equal neighbours are merged here, so the writer is called once per run rather than per group.
  let pendingOn = false;
  let pending = 0;
  const run = (on: boolean, length: number) => {
    if (on !== pendingOn) {
      out.add(pendingOn, pending);
      pendingOn = on;
      pending = 0;
    }
    pending += length;
  };
  for (let x = 0; x < outW; x++) {
    const c0 = tx.i0[x], c1 = tx.i1[x], q = tx.w1[x], p = 1 - q;
    for (let r = 0; r < inH; r++) col[r] = p * src[r * inW + c0] + q * src[r * inW + c1];
    for (let g = 0; g + 1 < starts.length; g++) {
      const from = starts[g], to = starts[g + 1];
      const v0 = col[ty.i0[from]], v1 = col[ty.i1[from]];
      if (v0 <= SAM_MASK_THRESHOLD && v1 <= SAM_MASK_THRESHOLD) run(false, to - from);
      // (Infinity is excluded: a zero weight times Infinity is NaN, which is off.)
      else if (v0 > CLEARLY_ON && v1 > CLEARLY_ON && v0 < Infinity && v1 < Infinity) run(true, to - from);
      else for (let y = from; y < to; y++) {
        const b = ty.w1[y], a = 1 - b;
        run(Math.fround(a * v0 + b * v1) > SAM_MASK_THRESHOLD, 1);
      }
    }
  }
  out.add(pendingOn, pending);
  return { mask: out.finish(), area: out.area };
}

/** binarize + rleEncode of a plane already at the output size (the graph's own masks), with no bitmap. */
function thresholdRle(logits: Float32Array, w: number, h: number): { mask: RleMask; area: number } {
  const out = new RleWriter(h, w);
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) out.add(logits[y * w + x] > SAM_MASK_THRESHOLD, 1);
  return { mask: out.finish(), area: out.area };
}
