/**
 * Box IoU and COCO RLE math. Expected RLE strings and IoUs were produced by pycocotools' maskApi.c
 * (cocodataset/cocoapi common/maskApi.c, compiled as-is) for the same inputs, or worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { boxIou } from '../../shared/eval/box';
import { rleFromPolygon, rleFromPolygons } from '../../shared/eval/poly';
import { rleArea, rleDecode, rleEncode, rleFromCounts, rleFromString, rleIou, rleMerge, rleToString } from '../../shared/vision/rle';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('boxIou (RiVEG statistic.py iou)', () => {
  it('identical boxes give 1', () => expect(boxIou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1));
  it('partial overlap: 9x9 of 100+100-81', () => expect(boxIou(box(20, 20, 30, 30), box(21, 21, 31, 31))).toBeCloseTo(81 / 119, 12));
  it('touching edges do not overlap', () => expect(boxIou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0));
  it('zero union is 0, not NaN (the [0,0,0,0] "None" box)', () => expect(boxIou(box(0, 0, 0, 0), box(0, 0, 0, 0))).toBe(0));
  it('a box inside another: small/large area', () => expect(boxIou(box(0, 0, 10, 10), box(0, 0, 5, 10))).toBe(0.5));
  it('is symmetric and works on floats', () => {
    const a = box(1.5, 2.25, 7.75, 9), b = box(3, 1, 8.5, 6.5);
    expect(boxIou(a, b)).toBeCloseTo(boxIou(b, a), 15);
    // inter 4.75*4.25=20.1875; areas 6.25*6.75=42.1875, 5.5*5.5=30.25
    expect(boxIou(a, b)).toBeCloseTo(20.1875 / (42.1875 + 30.25 - 20.1875), 12);
  });
});

describe('COCO compressed RLE', () => {
  it('encodes column-major from a row-major bitmap (maskApi.c gives "12203")', () => {
    // 4x3 image, column-major bits 0110 0110 0000 -> runs 1,2,2,2,5
    const rowMajor = [0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0];
    const m = rleEncode(rowMajor, 4, 3);
    expect(rleFromString(m.counts)).toEqual([1, 2, 2, 2, 5]);
    expect(m.counts).toBe('12203'); // maskApi.c rleToString of the same mask
    expect([...rleDecode(m)]).toEqual(rowMajor);
  });

  it('a mask starting with a 1 gets a leading zero run', () => {
    expect(rleEncode([1, 1, 1, 1], 2, 2)).toEqual({ size: [2, 2], counts: '04' });
    expect(rleEncode([0, 0, 0, 0], 2, 2).counts).toBe('4');
  });

  it('round-trips counts with large values and negative deltas (5-bit chunks, sign extension)', () => {
    for (const c of [[0, 5, 1_000_000, 3, 2], [7, 0, 0, 1], [123456789, 1, 2, 987654321], [31, 32, 16, 15, 1, 100, 0]]) {
      expect(rleFromString(rleToString(c))).toEqual(c);
    }
  });

  it('decodes pycocotools strings', () => {
    // maskApi.c rleFrPoly of the rectangle (1,1)-(8,6) on a 10x10 image
    expect(rleFromString(';5500000000000c0')).toEqual([11, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 24]);
    expect(rleArea({ size: [10, 10], counts: ';5500000000000c0' })).toBe(35);
  });

  it('mask IoU by hand: 35 and 30 pixels sharing 12 (maskApi.c rleIou: 0.22641509433962265)', () => {
    const a = rleFromPolygon([1, 1, 8, 1, 8, 6, 1, 6], 10, 10);
    const b = rleFromPolygon([4, 3, 9, 3, 9, 9, 4, 9], 10, 10);
    expect(a.counts).toBe(';5500000000000c0');
    expect(b.counts).toBe('[16400000007');
    expect(rleArea(b)).toBe(30);
    expect(rleIou(a, b)).toBeCloseTo(12 / 53, 15);
    expect(rleIou(a, a)).toBe(1);
  });

  it('IoU edge cases: disjoint 0, empty masks 0, size mismatch -1 (pycocotools)', () => {
    const left = rleEncode([1, 0, 1, 0], 2, 2);
    const right = rleEncode([0, 1, 0, 1], 2, 2);
    expect(rleIou(left, right)).toBe(0);
    expect(rleIou(rleEncode([0, 0, 0, 0], 2, 2), rleEncode([0, 0, 0, 0], 2, 2))).toBe(0);
    expect(rleIou(left, rleEncode([1, 0, 1, 0, 0, 0], 3, 2))).toBe(-1);
  });

  it('rasterises a non-rectangular polygon like maskApi.c', () => {
    expect(rleFromPolygon([0.5, 0.5, 7.2, 1.3, 3.1, 6.6], 7, 9).counts).toBe('8252N1OO1O1N?');
  });

  it('uncompressed RLE and polygon unions', () => {
    const u = rleFromCounts([10, 10], [0, 5, 95]);
    expect(rleArea(u)).toBe(5);
    expect(() => rleFromCounts([10, 10], [0, 5, 94])).toThrow(/cover 99 pixels/);
    const both = rleFromPolygons([[1, 1, 8, 1, 8, 6, 1, 6], [4, 3, 9, 3, 9, 9, 4, 9]], 10, 10);
    expect(rleArea(both)).toBe(35 + 30 - 12);
    expect(rleArea(rleMerge([rleFromPolygon([1, 1, 8, 1, 8, 6, 1, 6], 10, 10), rleFromPolygon([4, 3, 9, 3, 9, 9, 4, 9], 10, 10)], true))).toBe(12);
  });
});
