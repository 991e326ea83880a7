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
  for (let i = 0; i < counts.length; i++) encodeCount(i > 2 ? counts[i] - counts[i - 2] : counts[i], (c) => (s += String.fromCharCode(c)));
  return s;
}

/** One (already differenced) count as rleToString's character codes. */
function encodeCount(value: number, put: (charCode: number) => void): void {
  let x = value;
  let more = true;
  while (more) {
    // x & 0x1f and an arithmetic >> 5 on a C long; floor-division keeps that for any safe integer
    let c = ((x % 32) + 32) % 32;
    x = Math.floor(x / 32);
    more = c & 0x10 ? x !== -1 : x !== 0;
    if (more) c |= 0x20;
    put(c + 48);
  }
}

/**
 * Compressed RLE written run by run in COCO order (down each column, columns left to right), so a
 * mask can be encoded while it is computed, without its h x w bitmap or a list of every run: only
 * the two previous counts (for the differencing) and the output characters are kept.
 */
export class RleWriter {
  /** Pixels that are on. */
  area = 0;
  private chars = new Uint8Array(64);
  private length = 0;
  private emitted = 0;
  private prev1 = 0;
  private prev2 = 0;
  private value = 0;
  private run = 0;
  private covered = 0;

  constructor(readonly h: number, readonly w: number) {}

  /** `length` more pixels of value `on`. */
  add(on: boolean, length: number): void {
    if (length <= 0) return;
    const v = on ? 1 : 0;
    if (v !== this.value) {
      this.emit(this.run);
      this.run = 0;
      this.value = v;
    }
    this.run += length;
    this.covered += length;
    if (v) this.area += length;
  }

  finish(): RleMask {
    if (this.covered !== this.h * this.w) throw new Error(`RLE runs cover ${this.covered} pixels, size says ${this.h}x${this.w}=${this.h * this.w}`);
    this.emit(this.run);
    return { size: [this.h, this.w], counts: new TextDecoder().decode(this.chars.subarray(0, this.length)) };
  }

  private emit(count: number): void {
    encodeCount(this.emitted > 2 ? count - this.prev2 : count, (c) => {
      if (this.length === this.chars.length) {
        const grown = new Uint8Array(this.chars.length * 2);
        grown.set(this.chars);
        this.chars = grown;
      }
      this.chars[this.length++] = c;
    });
    this.emitted++;
    this.prev2 = this.prev1;
    this.prev1 = count;
  }
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

/** `[h,w]` row-major bitmap (any non-zero = on) -> compressed RLE of the same frame; maskApi.c rleEncode. */
export function rleEncode(bits: ArrayLike<number>, h: number, w: number): RleMask {
  if (bits.length !== h * w) throw new Error(`bitmap has ${bits.length} pixels, expected ${h}x${w}`);
  const out = new RleWriter(h, w);
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) out.add(!!bits[y * w + x], 1);
  return out.finish();
}

/** Compressed RLE -> `[h,w]` row-major 0/1 bitmap (h, w from `size`); maskApi.c rleDecode. */
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
