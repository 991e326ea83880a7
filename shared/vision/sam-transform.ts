/**
 * SAM's ResizeLongestSide (segment_anything/utils/transforms.py), shared by both decoder contracts:
 * the image is resized so its long side is 1024 (sides rounded with int(x + 0.5)) and padded
 * bottom/right, and prompt coordinates are scaled per axis by new/old size, exactly as apply_coords
 * does (not by the single long-side factor, which differs after rounding).
 */
import { fitLongSide } from '../image/resize';
import type { Box } from '../pipeline/contracts';

export const SAM_INPUT_SIZE = 1024;

/** ResizeLongestSide.get_preprocess_shape: the image's size in the 1024-padded model frame (the image side's fitLongSide rounds the same way). */
export function samResizedSize(width: number, height: number, longSide = SAM_INPUT_SIZE): { width: number; height: number } {
  const fit = fitLongSide(width, height, longSide);
  return { width: fit.width, height: fit.height };
}

/** ResizeLongestSide.apply_coords for one (x, y): original-image pixels -> the 1024-padded SAM model frame. */
export function imagePointToSam(x: number, y: number, image: { width: number; height: number }, longSide = SAM_INPUT_SIZE): [number, number] {
  const r = samResizedSize(image.width, image.height, longSide);
  return [x * (r.width / image.width), y * (r.height / image.height)];
}

/**
 * ResizeLongestSide.apply_boxes: a box in original-image pixels -> SAM's two prompt corners
 * `[x1,y1,x2,y2]` in the 1024-padded model frame, clamped to the image first (a grounding box may
 * overhang by rounding). Contract A feeds them as points labelled 2 and 3 (`point_coords` `[1,2,2]`),
 * contract B as one row of `input_boxes` `[1,N,4]`.
 */
export function imageBoxToSamCorners(box: Box, image: { width: number; height: number }, longSide = SAM_INPUT_SIZE): [number, number, number, number] {
  const cx = (v: number) => Math.min(Math.max(v, 0), image.width);
  const cy = (v: number) => Math.min(Math.max(v, 0), image.height);
  const [x1, y1] = imagePointToSam(cx(Math.min(box.x1, box.x2)), cy(Math.min(box.y1, box.y2)), image, longSide);
  const [x2, y2] = imagePointToSam(cx(Math.max(box.x1, box.x2)), cy(Math.max(box.y1, box.y2)), image, longSide);
  return [x1, y1, x2, y2];
}

/** SAM point labels for a box prompt: top-left corner 2, bottom-right corner 3. */
export const BOX_CORNER_LABELS = [2, 3] as const;
