/**
 * Resampling with PIL's semantics, because the models' reference preprocessing (Hugging Face image
 * processors) resizes with PIL and a different filter shifts scores. Matches Pillow's
 * libImaging/Resample.c (bilinear, bicubic with a = -0.5) including its antialiasing when
 * shrinking (the kernel support grows by the scale factor), its 22-bit fixed-point coefficients and
 * its horizontal-then-vertical order with an 8-bit intermediate; nearest matches ImagingScaleAffine.
 *
 * Channels are resampled independently. PIL premultiplies alpha for RGBA input; the model stages
 * drop alpha first (convert('RGB')), so for them the RGB channels are identical.
 */
import type { RgbaImage } from './types';

export type ResizeFilter = 'nearest' | 'bilinear' | 'bicubic';

const FILTERS = {
  bilinear: { support: 1, f: triangle },
  bicubic: { support: 2, f: cubic },
};

function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

function cubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

const PRECISION_BITS = 22; // 32 - 8 - 2, as in Pillow
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coeffs {
  ksize: number;
  /** Per output index: first input index and number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output index. */
  k: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc. */
function coefficients(inSize: number, outSize: number, filter: { support: number; f: (x: number) => number }): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < n; x++) sum += w[x] = filter.f((x + xmin - center + 0.5) / filterscale);
    for (let x = 0; x < n; x++) {
      const v = sum !== 0 ? w[x] / sum : w[x];
      k[xx * ksize + x] = Math.trunc(v < 0 ? v * ONE - 0.5 : v * ONE + 0.5);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = n;
  }
  return { ksize, bounds, k };
}

// Pillow's clip8 takes ss >> PRECISION_BITS (an arithmetic shift, i.e. floor) and clamps.
const clip8 = (ss: number) => {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

function horizontal(src: RgbaImage, outW: number, rowFrom: number, rows: number, c: Coeffs): RgbaImage {
  const out = new Uint8Array(outW * rows * 4);
  const { ksize, bounds, k } = c;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowFrom) * src.width * 4;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2], n = bounds[xx * 2 + 1], kb = xx * ksize;
      let s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF;
      for (let x = 0; x < n; x++) {
        const p = rowIn + (xmin + x) * 4, w = k[kb + x];
        s0 += src.data[p] * w; s1 += src.data[p + 1] * w; s2 += src.data[p + 2] * w; s3 += src.data[p + 3] * w;
      }
      const o = (y * outW + xx) * 4;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2); out[o + 3] = clip8(s3);
    }
  }
  return { width: outW, height: rows, data: out };
}

function vertical(src: RgbaImage, outH: number, rowShift: number, c: Coeffs): RgbaImage {
  const W = src.width;
  const out = new Uint8Array(W * outH * 4);
  const { ksize, bounds, k } = c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2] - rowShift, n = bounds[yy * 2 + 1], kb = yy * ksize;
    for (let x = 0; x < W; x++) {
      let s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF;
      for (let y = 0; y < n; y++) {
        const p = ((ymin + y) * W + x) * 4, w = k[kb + y];
        s0 += src.data[p] * w; s1 += src.data[p + 1] * w; s2 += src.data[p + 2] * w; s3 += src.data[p + 3] * w;
      }
      const o = (yy * W + x) * 4;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2); out[o + 3] = clip8(s3);
    }
  }
  return { width: W, height: outH, data: out };
}

function nearest(src: RgbaImage, outW: number, outH: number): RgbaImage {
  const sx = src.width / outW, sy = src.height / outH;
  const xin = new Int32Array(outW);
  // Pillow accumulates the source coordinate rather than multiplying; kept for identical picks.
  for (let x = 0, xo = sx * 0.5; x < outW; x++, xo += sx) xin[x] = Math.min(Math.floor(xo), src.width - 1);
  const data = src.data.byteOffset % 4 === 0 ? src.data : src.data.slice();
  const s = new Uint32Array(data.buffer, data.byteOffset, src.width * src.height);
  const out = new Uint32Array(outW * outH);
  for (let y = 0, yo = sy * 0.5; y < outH; y++, yo += sy) {
    const row = Math.min(Math.floor(yo), src.height - 1) * src.width;
    for (let x = 0; x < outW; x++) out[y * outW + x] = s[row + xin[x]];
  }
  return { width: outW, height: outH, data: new Uint8Array(out.buffer) };
}

/**
 * RGBA `[H,W,4]` uint8 -> RGBA `[height,width,4]` uint8, PIL's `Image.resize` (pixel centres at +0.5, no crop).
 * The frame changes by width/W and height/H per axis: a caller maps coordinates back itself (see vision/image-input).
 */
export function resize(img: RgbaImage, width: number, height: number, filter: ResizeFilter): RgbaImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  if (filter === 'nearest') return nearest(img, width, height);
  const f = FILTERS[filter];
  const needH = width !== img.width, needV = height !== img.height;
  const cv = coefficients(img.height, height, f);
  // Like Pillow, the horizontal pass only covers the rows the vertical pass will read.
  const first = cv.bounds[0];
  const last = cv.bounds[(height - 1) * 2] + cv.bounds[(height - 1) * 2 + 1];
  let tmp = img;
  let shift = 0;
  if (needH) {
    tmp = horizontal(img, width, needV ? first : 0, needV ? last - first : img.height, coefficients(img.width, width, f));
    shift = needV ? first : 0;
  }
  return needV ? vertical(tmp, height, shift, cv) : tmp;
}

/**
 * Target size with the long side at maxSide, rounded like Hugging Face's SAM processor (int(x + 0.5)).
 * `scale` is maxSide / long side (resized pixels per original pixel) before rounding; the rounded sides
 * differ from width*scale by up to half a pixel, so exact maps use width'/width per axis.
 */
export function fitLongSide(width: number, height: number, maxSide: number) {
  const scale = maxSide / Math.max(width, height);
  return { width: Math.max(1, Math.floor(width * scale + 0.5)), height: Math.max(1, Math.floor(height * scale + 0.5)), scale };
}
