import { describe, expect, it } from 'vitest';
import { imageBoxToSamCorners, imagePointToSam, samResizedSize } from '../../shared/vision/sam-transform';
import { bilinearResize, bilinearWindow } from '../../shared/vision/interpolate';
import { binarize, selectMask, upscaleLowResMask } from '../../shared/vision/sam-masks';

describe('ResizeLongestSide', () => {
  it('rounds sides with int(x + 0.5)', () => {
    expect(samResizedSize(640, 480)).toEqual({ width: 1024, height: 768 });
    expect(samResizedSize(500, 333)).toEqual({ width: 1024, height: 682 }); // 333 * 2.048 = 681.98
    expect(samResizedSize(300, 1000)).toEqual({ width: 307, height: 1024 }); // 307.2
    expect(samResizedSize(3, 2, 4)).toEqual({ width: 4, height: 3 }); // 2.67 -> 3
  });

  it('scales coordinates per axis by new/old (apply_coords), not by the long-side factor', () => {
    const [x, y] = imagePointToSam(250, 100, { width: 500, height: 333 });
    expect(x).toBeCloseTo(512, 9);
    expect(y).toBeCloseTo((100 * 682) / 333, 9); // 204.8048…, not 204.8
    expect(y).not.toBeCloseTo(204.8, 3);
  });

  it('gives a box as two corners in the resized frame, clamped and ordered', () => {
    expect(imageBoxToSamCorners({ x1: 100, y1: 50, x2: 300, y2: 200 }, { width: 640, height: 480 })).toEqual([160, 80, 480, 320]);
    expect(imageBoxToSamCorners({ x1: 700, y1: 500, x2: -5, y2: 10 }, { width: 640, height: 480 })).toEqual([0, 16, 1024, 768]);
  });
});

describe('bilinear interpolation (torch align_corners=False)', () => {
  const src = new Float32Array([0, 1, 2, 3]); // 2x2

  it('upsamples 2x2 to 4x4 with edge clamping', () => {
    const out = Array.from(bilinearResize(src, 2, 2, 4, 4));
    // source coordinate per output index: max(0, (d + .5)/2 - .5) = 0, .25, .75, 1.25 (clamped to 1)
    expect(out).toEqual([
      0, 0.25, 0.75, 1,
      0.5, 0.75, 1.25, 1.5,
      1.5, 1.75, 2.25, 2.5,
      2, 2.25, 2.75, 3,
    ]);
  });

  it('computes only the top-left window of the full resize', () => {
    expect(Array.from(bilinearWindow(src, 2, 2, 4, 4, 3, 2))).toEqual([0, 0.25, 0.75, 0.5, 0.75, 1.25]);
  });

  it('downsamples by taking the half-pixel centres (no antialias)', () => {
    const row = new Float32Array([0, 10, 20, 30]); // 4x1 -> 2x1: sources 0.5 and 2.5
    expect(Array.from(bilinearResize(row, 4, 1, 2, 1))).toEqual([5, 25]);
  });
});

describe('SAM mask post-processing', () => {
  it('upsamples to the pad square, crops the resized region, resizes to the output, thresholds at 0', () => {
    // low-res 2x2, pad square 4, image content 4x2 inside it, output 4x2
    const low = new Float32Array([1, -1, -1, -1]);
    const logits = upscaleLowResMask(low, { width: 2, height: 2 }, { width: 4, height: 2 }, { width: 4, height: 2 }, 4);
    expect(Array.from(logits)).toEqual([1, 0.5, -0.5, -1, 0.5, 0.125, -0.625, -1]);
    const { bits, area } = binarize(logits);
    expect(Array.from(bits)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    expect(area).toBe(4);
  });

  it('a logit of exactly 0 is off (strictly greater than the threshold)', () => {
    expect(Array.from(binarize(new Float32Array([0, 1e-6, -1e-6])).bits)).toEqual([0, 1, 0]);
  });

  it('selects like SamOnnxModel.select_masks: box (2 points) -> best multimask token by IoU', () => {
    expect(selectMask([0.99, 0.5, 0.8, 0.7], 2)).toBe(2);
    expect(selectMask([0.1, 0.5, 0.8, 0.7], 3)).toBe(0); // 3+ points: the single-mask token
    expect(selectMask([0.5, 0.9, 0.1])).toBe(1); // transformers.js: 3 multimask tokens
    expect(selectMask([0.2])).toBe(0);
    expect(() => selectMask([])).toThrow();
  });
});
