/**
 * From OWL-ViT's per-patch outputs to one box per query: the arg-max patch of the query's logits
 * (a referring expression names one thing, so no threshold list and no NMS), probability
 * sigmoid(logit), normalized (cx, cy, w, h) of the model canvas -> corners (transformers'
 * center_to_corners_format) -> original-image pixels, clamped to the image.
 */
import type { Box } from '../pipeline/contracts';
import type { Size } from '../image/types';
import type { FrameMap } from './image-input';

export interface QueryBox {
  box: Box;
  score: number;
  /** The patch the box came from. */
  patch: number;
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);

/**
 * One box `[cx,cy,w,h]` normalized to 0..1 of the model canvas (OWL-ViT `pred_boxes`) -> `{x1,y1,x2,y2}` in
 * original-image pixels, through canvas pixels and `map` (model frame -> image), clamped to the image.
 */
export function cxcywhToImageBox(cx: number, cy: number, w: number, h: number, canvas: Size, map: FrameMap): Box {
  const px = (v: number) => clamp((v * canvas.width + map.offsetX) * map.scaleX, map.width);
  const py = (v: number) => clamp((v * canvas.height + map.offsetY) * map.scaleY, map.height);
  return { x1: px(cx - 0.5 * w), y1: py(cy - 0.5 * h), x2: px(cx + 0.5 * w), y2: py(cy + 0.5 * h) };
}

/**
 * `logits` `[1,N,T]` float32 (N patches, T queries), `predBoxes` `[1,N,4]` float32 normalized cxcywh of the
 * model canvas; boxes come back in original-image pixels. One entry per query t: the best patch whose box has an
 * area inside the image, null when there is none or its probability is below `minScore`. A patch whose box lies in
 * the letterbox padding (empty after clamping) is no answer, so the next best patch is taken instead of giving none.
 */
export function bestBoxPerQuery(
  logits: Float32Array, logitDims: readonly number[], predBoxes: Float32Array, boxDims: readonly number[], canvas: Size, map: FrameMap, minScore = 0,
): (QueryBox | null)[] {
  if (logitDims.length !== 3 || boxDims.length !== 3 || boxDims[2] !== 4 || logitDims[1] !== boxDims[1]) {
    throw new Error(`OWL outputs have unexpected shapes: logits [${logitDims}], pred_boxes [${boxDims}]`);
  }
  const [, n, t] = logitDims;
  const boxes: (Box | null)[] = [];
  for (let p = 0; p < n; p++) {
    const b = predBoxes.subarray(p * 4, p * 4 + 4);
    const box = cxcywhToImageBox(b[0], b[1], b[2], b[3], canvas, map);
    boxes.push(box.x2 > box.x1 && box.y2 > box.y1 ? box : null);
  }
  const out: (QueryBox | null)[] = [];
  for (let q = 0; q < t; q++) {
    let best = -1;
    let bestLogit = -Infinity;
    for (let p = 0; p < n; p++) {
      const l = logits[p * t + q];
      if (l > bestLogit && boxes[p]) {
        bestLogit = l;
        best = p;
      }
    }
    const score = sigmoid(bestLogit);
    out.push(best < 0 || score < minScore ? null : { box: boxes[best]!, score, patch: best });
  }
  return out;
}
