/**
 * SAM mask post-processing and selection, as segment_anything/utils/onnx.py (contract A) and
 * transformers' SamProcessor.post_process_masks (contract B) do it: low-res logits (256 x 256) ->
 * bilinear to the padded 1024 square -> crop the resized image region -> bilinear to the output
 * size -> logits > 0.
 */
import { bilinearResize, bilinearWindow } from './interpolate';
import { SAM_INPUT_SIZE } from './sam-transform';

export const SAM_MASK_THRESHOLD = 0;

export interface Size {
  width: number;
  height: number;
}

/** logits > threshold as a row-major 0/1 bitmap, with its area. */
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
 * One low-res mask plane (`lowSize` x `lowSize`, row-major) -> logits at `output` size. `resized`
 * is the image's size inside the padded `padSize` square (ResizeLongestSide of the encoder input).
 */
export function upscaleLowResMask(
  lowRes: Float32Array, lowSize: Size, resized: Size, output: Size, padSize = SAM_INPUT_SIZE,
): Float32Array {
  const cropped = bilinearWindow(lowRes, lowSize.width, lowSize.height, padSize, padSize, resized.width, resized.height);
  return bilinearResize(cropped, resized.width, resized.height, output.width, output.height);
}

/**
 * Which of the C mask tokens to keep, by SamOnnxModel.select_masks: score = iou + (points - 2.5) *
 * [1000, 0, 0, …]. For a box (two corner points) token 0, the single-mask output, is pushed down by
 * 500 and the best multimask token by predicted IoU wins; with three tokens (transformers.js exports,
 * token 0 not exported) it is the plain arg-max of predicted IoU.
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
