/**
 * Polygon -> RLE, a line-for-line port of pycocotools maskApi.c rleFrPoly, so that polygons in
 * a COCO-style mask file rasterise to exactly the pixels pycocotools would give (its 5x upsampling
 * and rounding decide the boundary pixels; a generic scanline fill would differ on edges).
 * C integer casts truncate toward zero, hence Math.trunc.
 */
import { fromRuns, rleMerge, type RleMask } from '../vision/rle';

/** One polygon [x0, y0, x1, y1, …] in pixel coordinates (COCO `segmentation` polygon). */
export function rleFromPolygon(xy: readonly number[], h: number, w: number): RleMask {
  const k = Math.floor(xy.length / 2);
  const scale = 5;
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < k; j++) x.push(Math.trunc(scale * xy[j * 2] + 0.5));
  x.push(x[0]);
  for (let j = 0; j < k; j++) y.push(Math.trunc(scale * xy[j * 2 + 1] + 0.5));
  y.push(y[0]);
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // points along the y-boundary, downsampled
  const bx: number[] = [];
  const by: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bx.push(Math.trunc(xd));
    by.push(Math.trunc(yd));
  }
  const a: number[] = bx.map((xx, j) => xx * h + by[j]);
  a.push(h * w);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= prev;
    prev = t;
  }
  const b: number[] = [];
  let j = 0;
  b.push(a[j++]);
  while (j < a.length) {
    if (a[j] > 0) b.push(a[j++]);
    else {
      j++;
      if (j < a.length) b[b.length - 1] += a[j++];
    }
  }
  return fromRuns({ h, w, counts: b });
}

/** A COCO polygon segmentation (list of polygons) -> one mask, their union, as pycocotools annToRLE. */
export function rleFromPolygons(polys: readonly (readonly number[])[], h: number, w: number): RleMask {
  // pycocotools rasterises every polygon it is given; only empty ones (undefined behaviour in C) are dropped
  const parts = polys.filter((p) => p.length >= 2).map((p) => rleFromPolygon(p, h, w));
  if (parts.length === 0) throw new Error('polygon segmentation without any point');
  return parts.length === 1 ? parts[0] : rleMerge(parts);
}
