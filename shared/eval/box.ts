/**
 * Box overlap exactly as RiVEG's `statistic/statistic.py` `iou()` computes it: plain float
 * intersection over union on [x1, y1, x2, y2], no +1 pixel convention, 0 when the union is 0.
 * Degenerate boxes are not clamped, because the reference does not clamp them either.
 */
export interface BoxLike {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export function boxIou(a: BoxLike, b: BoxLike): number {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union === 0 ? 0 : inter / union;
}
