/** Pure pixel transforms on tiny images; every expected value is worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { applyOrientation, orientedSize } from '../../shared/image/orient';
import { padToSquare } from '../../shared/image/pad';
import { fitLongSide, resize } from '../../shared/image/resize';
import { toFloatCHW } from '../../shared/image/tensor';
import type { RgbaImage } from '../../shared/image/types';
import { makeImage } from '../support/images';

/** A one-channel-valued image: R=G=B=v, A=255. */
const grey = (rows: number[][]) => makeImage(rows[0].length, rows.length, (x, y) => [rows[y][x], rows[y][x], rows[y][x], 255]);
const reds = (img: RgbaImage) => Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 4]));

describe('applyOrientation: all 8 EXIF values', () => {
  // Stored 3x2:  1 2 3
  //              4 5 6
  const stored = grey([[1, 2, 3], [4, 5, 6]]);
  const cases: Array<[number, number[][]]> = [
    [1, [[1, 2, 3], [4, 5, 6]]],
    [2, [[3, 2, 1], [6, 5, 4]]], // mirror left-right
    [3, [[6, 5, 4], [3, 2, 1]]], // rotate 180
    [4, [[4, 5, 6], [1, 2, 3]]], // mirror top-bottom
    [5, [[1, 4], [2, 5], [3, 6]]], // transpose: stored row 0 becomes the left column, read downwards
    [6, [[4, 1], [5, 2], [6, 3]]], // rotate 90 clockwise: the bottom row becomes the left column
    [7, [[6, 3], [5, 2], [4, 1]]], // transverse: stored row 0 becomes the right column, read upwards
    [8, [[3, 6], [2, 5], [1, 4]]], // rotate 90 counter-clockwise: the right column becomes the top row
  ];
  for (const [o, expected] of cases) {
    it(`orientation ${o}`, () => {
      const out = applyOrientation(stored, o);
      expect(reds(out)).toEqual(expected);
      expect([out.width, out.height]).toEqual([expected[0].length, expected.length]);
      expect(orientedSize(3, 2, o)).toEqual({ width: out.width, height: out.height });
    });
  }

  it('keeps all four channels together', () => {
    const img = makeImage(2, 1, (x) => (x === 0 ? [1, 2, 3, 4] : [5, 6, 7, 8]));
    expect(Array.from(applyOrientation(img, 6).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // 6: column of [p0; p1]
    expect(Array.from(applyOrientation(img, 2).data)).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
  });
});

describe('resize, PIL semantics', () => {
  const row = grey([[0, 70, 140, 210]]);

  it('bilinear 4 -> 2 is antialiased (support scaled by 2)', () => {
    // scale 2, support 1*2 = 2. Output 0: centre 1.0, taps x=0..2 at (x - 1 + 0.5)/2 = -0.25, 0.25, 0.75
    //   -> triangle weights 0.75, 0.75, 0.25, normalised 3/7, 3/7, 1/7 -> (0*3 + 70*3 + 140)/7 = 50.
    // Output 1: centre 3.0, taps x=1..3 -> 1/7, 3/7, 3/7 -> (70 + 140*3 + 210*3)/7 = 160.
    // (A plain 2-tap bilinear would give 35 and 175.)
    expect(reds(resize(row, 2, 1, 'bilinear'))).toEqual([[50, 160]]);
  });

  it('bicubic 4 -> 2 (a = -0.5, support 4)', () => {
    // Output 0: centre 1.0, taps x=0..3 at (x - 0.5)/2 = -0.25, 0.25, 0.75, 1.25
    //   k(0.25) = (1.5*0.25 - 2.5)*0.0625 + 1 = 0.8671875, k(0.75) = (1.125 - 2.5)*0.5625 + 1 = 0.2265625,
    //   k(1.25) = (((1.25 - 5)*1.25 + 8)*1.25 - 4)*(-0.5) = -0.0703125; sum 1.890625.
    //   (70*0.8671875 + 140*0.2265625 - 210*0.0703125)/1.890625 = 77.65625/1.890625 = 41.07 -> 41.
    // Output 1: mirror image of the taps: (70*0.2265625 + 140*0.8671875 + 210*0.8671875)/1.890625 = 168.93 -> 169.
    expect(reds(resize(row, 2, 1, 'bicubic'))).toEqual([[41, 169]]);
  });

  it('bilinear 2 -> 4 upscales with support 1', () => {
    // scale 0.5: centres 0.25, 0.75, 1.25, 1.75. Output 0: only tap x=0 (weight 0.75, normalised 1) -> 0.
    // Output 1: taps at -0.25 and 0.75 -> 0.75*0 + 0.25*100 = 25. Output 2: 0.25*0 + 0.75*100 = 75. Output 3: 100.
    expect(reds(resize(grey([[0, 100]]), 4, 1, 'bilinear'))).toEqual([[0, 25, 75, 100]]);
  });

  it('bicubic 2 -> 4 overshoots at the edges, clipped at 0', () => {
    // Output 0: centre 0.25, taps x=0,1 at distances 0.25, 1.25 -> k = 0.8671875, -0.0703125 (sum 0.796875)
    //   -> -7.03/0.796875 = -8.8 -> clipped to 0. Output 1: centre 0.75, distances 0.25, 0.75 ->
    //   k = 0.8671875, 0.2265625 (sum 1.09375) -> 22.66/1.09375 = 20.71 -> 21. Outputs 2 and 3 mirror
    //   these: 86.72/1.09375 = 79.29 -> 79 and 86.72/0.796875 = 108.8 -> 109 (above the input's 100).
    expect(reds(resize(grey([[0, 100]]), 4, 1, 'bicubic'))).toEqual([[0, 21, 79, 109]]);
  });

  it('2-D: horizontal pass then vertical, 2x2 -> 1x1 averages', () => {
    // Rows: (0+100)/2 = 50 and (50+250)/2 = 150 (equal weights 0.75, 0.75); then (50+150)/2 = 100.
    expect(reds(resize(grey([[0, 100], [50, 250]]), 1, 1, 'bilinear'))).toEqual([[100]]);
  });

  it('nearest picks floor((x + 0.5) * scale)', () => {
    // 4 -> 2: source x = floor(1.0) = 1 and floor(3.0) = 3.
    expect(reds(resize(row, 2, 1, 'nearest'))).toEqual([[70, 210]]);
    // 2 -> 3: floor(1/3) = 0, floor(1) = 1, floor(5/3) = 1.
    expect(reds(resize(grey([[0, 100]]), 3, 1, 'nearest'))).toEqual([[0, 100, 100]]);
  });

  it('fitLongSide rounds like int(x + 0.5)', () => {
    // 3000x2001 to 1024: scale 1024/3000, 2001*0.34133 = 683.02 -> 683.
    expect(fitLongSide(3000, 2001, 1024)).toMatchObject({ width: 1024, height: 683 });
  });
});

describe('model input helpers', () => {
  it('toFloatCHW: planes R, G, B; (p/255 - mean)/std', () => {
    // mean = std = 0.5 gives 2p/255 - 1: 255 -> 1, 0 -> -1, 51 -> -0.6, 102 -> -0.2. Alpha is dropped.
    const img = makeImage(2, 1, (x) => (x === 0 ? [255, 0, 51, 255] : [0, 255, 102, 7]));
    const t = toFloatCHW(img, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(t).toBeInstanceOf(Float32Array);
    const expected = [1, -1, -1, 1, -0.6, -0.2];
    expect(t.length).toBe(6);
    expected.forEach((v, i) => expect(t[i]).toBeCloseTo(v, 5));
  });

  it('padToSquare pads bottom-right with the fill colour', () => {
    const img = makeImage(2, 1, (x) => [x + 1, 0, 0, 255]);
    const { image, scale, width, height } = padToSquare(img, { fill: [9, 9, 9, 255] });
    expect([image.width, image.height, scale, width, height]).toEqual([2, 2, 1, 2, 1]);
    expect(Array.from(image.data)).toEqual([1, 0, 0, 255, 2, 0, 0, 255, 9, 9, 9, 255, 9, 9, 9, 255]);
  });

  it('padToSquare with size resizes the long side first and records the scale', () => {
    // 2x1 -> long side 4: 4x2 (scale 2), nearest doubles each pixel; rows 2 and 3 are padding.
    const img = makeImage(2, 1, (x) => [x ? 200 : 100, 0, 0, 255]);
    const { image, scale, width, height } = padToSquare(img, { size: 4, fill: [0, 0, 0, 0], filter: 'nearest' });
    expect([image.width, image.height, scale, width, height]).toEqual([4, 4, 2, 4, 2]);
    expect(reds(image)).toEqual([[100, 100, 200, 200], [100, 100, 200, 200], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });
});
