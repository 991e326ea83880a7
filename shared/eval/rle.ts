/**
 * COCO run-length masks, bit-compatible with pycocotools `maskApi.c`, so that masks from SAM
 * exports and from the dataset compare without a Python round trip.
 *
 * Runs alternate 0,1,0,1,… starting with a (possibly empty) run of zeros and go down the columns
 * (column-major, Fortran order) — but the bitmaps this module takes and returns are row-major
 * (index y*w + x), the layout JS image code uses; the traversal does the transposition.
 */
import type { RleMask } from '../pipeline/contracts';

export type { RleMask };

/** Uncompressed form: the integer run lengths. */
export interface RleRuns {
  h: number;
  w: number;
  counts: number[];
}

/** maskApi.c rleToString: LEB128-like, 5 bits a char (+0x20 "more" bit), chars 48..111, runs
 *  after the second stored as the difference to the run two before (i > 2, as in the C code). */
export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      // x & 0x1f and an arithmetic >> 5 on a C long; floor-division keeps that for any safe integer
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** maskApi.c rleFrString, the inverse of rleToString (sign extension on the last chunk). */
export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error('RLE string ends inside a number');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE string has a character outside 0..o at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

export function toRuns(m: RleMask): RleRuns {
  const [h, w] = m.size;
  const runs = { h, w, counts: rleFromString(m.counts) };
  checkRuns(runs);
  return runs;
}

export function fromRuns(r: RleRuns): RleMask {
  return { size: [r.h, r.w], counts: rleToString(r.counts) };
}

/** A COCO "uncompressed RLE" ({size, counts: number[]}), as pycocotools frPyObjects takes it. */
export function rleFromCounts(size: [number, number], counts: readonly number[]): RleMask {
  const runs = { h: size[0], w: size[1], counts: [...counts] };
  checkRuns(runs);
  return fromRuns(runs);
}

function checkRuns(r: RleRuns): void {
  let total = 0;
  for (const c of r.counts) {
    if (!Number.isInteger(c) || c < 0) throw new Error(`RLE run ${c} is not a non-negative integer`);
    total += c;
  }
  if (total !== r.h * r.w) throw new Error(`RLE runs cover ${total} pixels, size says ${r.h}x${r.w}=${r.h * r.w}`);
}

/** Row-major bitmap (any non-zero = on) -> compressed RLE; maskApi.c rleEncode. */
export function rleEncode(bits: ArrayLike<number>, h: number, w: number): RleMask {
  if (bits.length !== h * w) throw new Error(`bitmap has ${bits.length} pixels, expected ${h}x${w}`);
  const counts: number[] = [];
  let prev = 0;
  let c = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = bits[y * w + x] ? 1 : 0;
      if (v !== prev) {
        counts.push(c);
        c = 0;
        prev = v;
      }
      c++;
    }
  }
  counts.push(c);
  return fromRuns({ h, w, counts });
}

/** Compressed RLE -> row-major 0/1 bitmap; maskApi.c rleDecode. */
export function rleDecode(m: RleMask): Uint8Array {
  const { h, w, counts } = toRuns(m);
  const out = new Uint8Array(h * w);
  let j = 0; // column-major position
  let v = 0;
  for (const c of counts) {
    if (v) for (let k = j; k < j + c; k++) out[(k % h) * w + Math.floor(k / h)] = 1;
    j += c;
    v ^= 1;
  }
  return out;
}

export function rleArea(m: RleMask): number {
  const { counts } = toRuns(m);
  let a = 0;
  for (let j = 1; j < counts.length; j += 2) a += counts[j];
  return a;
}

/**
 * Mask IoU by walking both run lists at once (maskApi.c rleIou, non-crowd). As in pycocotools,
 * masks of different sizes give -1 (never a match at any threshold) and an empty intersection gives 0.
 */
export function rleIou(a: RleMask, b: RleMask): number {
  const A = toRuns(a);
  const B = toRuns(b);
  if (A.h !== B.h || A.w !== B.w) return -1;
  let inter = 0;
  let union = 0;
  let ia = 0;
  let ib = 0;
  let ca = A.counts[0] ?? 0;
  let cb = B.counts[0] ?? 0;
  let va = 0;
  let vb = 0;
  let left = A.h * A.w;
  while (left > 0) {
    // skip exhausted runs (zero-length runs are legal, e.g. a leading 0)
    while (ca === 0 && ia + 1 < A.counts.length) { ca = A.counts[++ia]; va ^= 1; }
    while (cb === 0 && ib + 1 < B.counts.length) { cb = B.counts[++ib]; vb ^= 1; }
    const c = Math.min(ca, cb);
    if (c === 0) break;
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
    ca -= c;
    cb -= c;
    left -= c;
  }
  return inter === 0 ? 0 : inter / union;
}

/** Union (or intersection) of same-size masks; equals maskApi.c rleMerge on canonical input. */
export function rleMerge(masks: readonly RleMask[], intersect = false): RleMask {
  if (masks.length === 0) throw new Error('rleMerge needs at least one mask');
  const [h, w] = masks[0].size;
  const acc = rleDecode(masks[0]);
  for (const m of masks.slice(1)) {
    if (m.size[0] !== h || m.size[1] !== w) throw new Error('rleMerge: masks differ in size');
    const d = rleDecode(m);
    for (let i = 0; i < acc.length; i++) acc[i] = intersect ? acc[i] & d[i] : acc[i] | d[i];
  }
  return rleEncode(acc, h, w);
}
