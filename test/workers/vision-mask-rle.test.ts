/**
 * SAM masks at the original size without an original-size buffer (issue 11, item 8): the RLE that
 * lowResMaskToRle writes while resizing must be the RLE of the full-size path (upscaleLowResMask ->
 * binarize -> rleEncode) bit for bit, at integer and non-integer scale factors, upscaling and
 * downscaling. (The peak-memory side is test/node/mask-memory.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { RleWriter, rleDecode, rleEncode, rleFromString, rleToString } from '../../shared/vision/rle';
import type { Size } from '../../shared/image/types';
import { binarize, lowResMaskToRle, resizedMaskRle, upscaleLowResMask } from '../../shared/vision/sam-masks';
import { bilinearResize } from '../../shared/vision/interpolate';

/** Deterministic pseudo-random numbers (mulberry32), so a failure is reproducible. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Low-res logits: a blob with a wavy edge, or pure noise (many sign changes), or mostly exact zeros. */
function logits(kind: 'blob' | 'noise' | 'zeros', size: number, seed: number): Float32Array {
  const r = random(seed);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const i = y * size + x;
    if (kind === 'noise') out[i] = r() * 2 - 1;
    else if (kind === 'zeros') out[i] = r() < 0.7 ? 0 : r() < 0.5 ? 1e-38 : -1;
    else out[i] = 6 * (1 - Math.hypot((x - size * 0.4) / (size * 0.25), (y - size * 0.5) / (size * 0.2))) + Math.sin(x) * Math.cos(y * 1.3);
  }
  return out;
}

function reference(low: Float32Array, lowSize: Size, resized: Size, output: Size, pad: number) {
  const { bits, area } = binarize(upscaleLowResMask(low, lowSize, resized, output, pad));
  return { mask: rleEncode(bits, output.height, output.width), area };
}

describe('lowResMaskToRle equals the full-size path', () => {
  // low-res 32 in a 128 pad square; the image region (resized) is 128 x 96.
  const lowSize = { width: 32, height: 32 };
  const resized = { width: 128, height: 96 };
  const cases: Array<[string, Size]> = [
    ['same size', { width: 128, height: 96 }],
    ['x2 (integer)', { width: 256, height: 192 }],
    ['x5 (integer)', { width: 640, height: 480 }],
    ['x2.6 / x2.6 (non-integer)', { width: 333, height: 250 }],
    ['different factor per axis', { width: 1000, height: 127 }],
    ['downscale', { width: 50, height: 37 }],
    ['one row and one column', { width: 1, height: 1 }],
  ];
  for (const kind of ['blob', 'noise', 'zeros'] as const) {
    it.each(cases)(`${kind} logits, %s`, (_, output) => {
      for (const seed of [1, 2, 3]) {
        const low = logits(kind, 32, seed);
        const want = reference(low, lowSize, resized, output, 128);
        const got = lowResMaskToRle(low, lowSize, resized, output, 128);
        expect(got.mask).toEqual(want.mask);
        expect(got.area).toBe(want.area);
      }
    });
  }

  it('at SAM sizes: 256 low-res, a 1024 x 683 working frame, a 3000 x 2001 original', () => {
    const low = logits('blob', 256, 7);
    const resized = { width: 1024, height: 683 };
    const output = { width: 3000, height: 2001 };
    const want = reference(low, { width: 256, height: 256 }, resized, output, 1024);
    const got = lowResMaskToRle(low, { width: 256, height: 256 }, resized, output);
    expect(got.area).toBeGreaterThan(0);
    expect(got.mask).toEqual(want.mask);
    expect(got.area).toBe(want.area);
  });

  it('NaN and infinite logits threshold as the full-size path does', () => {
    const src = new Float32Array([1, NaN, -1, Infinity, -Infinity, 2, 0, -0, 3, 1e-45, -1e-45, 5]);
    for (const [w, h] of [[9, 7], [2, 2], [8, 6], [5, 3]]) {
      const { bits, area } = binarize(bilinearResize(src, 4, 3, w, h));
      expect(resizedMaskRle(src, 4, 3, w, h)).toEqual({ mask: rleEncode(bits, h, w), area });
    }
    // At the same size nothing is resampled (the graph's own masks): each logit is thresholded alone.
    const { bits, area } = binarize(src);
    expect(resizedMaskRle(src, 4, 3, 4, 3)).toEqual({ mask: rleEncode(bits, 3, 4), area });
  });
});

describe('RleWriter', () => {
  it('writes what rleToString writes for the same runs, merging equal neighbours', () => {
    const r = random(11);
    for (let n = 0; n < 20; n++) {
      const h = 1 + Math.floor(r() * 30), w = 1 + Math.floor(r() * 30);
      const bits = Uint8Array.from({ length: h * w }, () => (r() < 0.4 ? 1 : 0));
      const writer = new RleWriter(h, w);
      // column-major, in uneven pieces, some of zero length
      for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) {
        writer.add(bits[y * w + x] === 1, 1);
        writer.add(r() < 0.5, 0);
      }
      const mask = writer.finish();
      expect(rleDecode(mask)).toEqual(bits);
      expect(rleToString(rleFromString(mask.counts))).toBe(mask.counts);
      expect(writer.area).toBe(bits.reduce((a, v) => a + v, 0));
    }
  });

  it('refuses runs that do not cover the frame', () => {
    const w = new RleWriter(2, 2);
    w.add(true, 3);
    expect(() => w.finish()).toThrow(/cover 3 pixels/);
  });
});
