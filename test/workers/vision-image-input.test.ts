import { describe, expect, it } from 'vitest';
import { centerCropOrigin, imageInput, modelToImage, shortestEdgeSize, type ImageSpec } from '../../shared/vision/image-input';
import { cxcywhToImageBox } from '../../shared/vision/owl-boxes';
import type { RgbaImage } from '../../shared/image/types';

function image(width: number, height: number, px: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...px(x, y), 255], (y * width + x) * 4);
  return { width, height, data };
}

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** Xenova/mobileclip_s0 preprocessor_config.json */
const MOBILECLIP: ImageSpec = {
  kind: 'image', resize: { mode: 'shortest-edge', size: 256, resample: 'bilinear' }, crop: { width: 256, height: 256, mode: 'center' },
  rescale: 1 / 255, normalize: null, layout: 'NCHW',
};
const owl = (size: number, letterbox: boolean): ImageSpec => ({
  kind: 'image',
  resize: letterbox ? { mode: 'longest-edge', size, resample: 'bicubic' } : { mode: 'exact', size: [size, size], resample: 'bicubic' },
  ...(letterbox ? { pad: { width: size, height: size, value: 0, anchor: 'top-left' as const } } : {}),
  rescale: 1 / 255, normalize: { mean: CLIP_MEAN, std: CLIP_STD }, layout: 'NCHW',
});
const samPixelValues = (size: number): ImageSpec => ({
  kind: 'image', resize: { mode: 'longest-edge', size, resample: 'bilinear' }, pad: { width: size, height: size, value: 0, anchor: 'top-left' },
  rescale: 1 / 255, normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD }, layout: 'NCHW',
});
const samInputImage = (size: number): ImageSpec => ({
  kind: 'image', resize: { mode: 'longest-edge', size, resample: 'bilinear' }, rescale: 1, normalize: null, layout: 'HWC',
});

describe('CLIP-family input (HF CLIPImageProcessor)', () => {
  it('resizes the shortest edge and truncates the long one like int()', () => {
    expect(shortestEdgeSize(640, 480, 256)).toEqual({ width: 341, height: 256 }); // 256*640/480 = 341.33
    expect(shortestEdgeSize(300, 900, 256)).toEqual({ width: 256, height: 768 });
    expect(shortestEdgeSize(257, 1000, 256)).toEqual({ width: 256, height: 996 }); // 996.1
  });

  it('center-crops with floor offsets', () => {
    expect(centerCropOrigin(341, 256, 256, 256)).toEqual({ x: 42, y: 0 }); // 85 // 2
    expect(centerCropOrigin(256, 769, 256, 256)).toEqual({ x: 0, y: 256 }); // 513 // 2
    expect(() => centerCropOrigin(100, 300, 256, 256)).toThrow(RangeError);
  });

  it('crops the middle of a wide image and only rescales (MobileCLIP has no mean/std)', () => {
    // 512x256 needs no resize (shortest edge is 256); the crop starts at x = 128.
    const input = imageInput(image(512, 256, (x, y) => [x % 256, y, 7]), MOBILECLIP);
    const plane = 256 * 256;
    expect(input.dims).toEqual([1, 3, 256, 256]);
    expect(input.offset).toEqual({ x: 128, y: 0 });
    expect(input.data[0]).toBeCloseTo(128 / 255, 6); // R at crop (0,0) = source x 128
    expect(input.data[255]).toBeCloseTo(127 / 255, 6); // last column = source x 383 -> 383 % 256
    expect(input.data[plane + 5 * 256]).toBeCloseTo(5 / 255, 6); // G at row 5
    expect(input.data[2 * plane + 1000]).toBeCloseTo(7 / 255, 6);
  });

  it('resizes before cropping: a 600x300 uniform image gives 256x256 of the same value', () => {
    const input = imageInput(image(600, 300, () => [200, 100, 50]), MOBILECLIP);
    expect(input.resized).toEqual({ width: 512, height: 256 });
    expect(input.data[12345]).toBeCloseTo(200 / 255, 6);
    expect(input.data[65536 + 777]).toBeCloseTo(100 / 255, 6);
    expect(input.data[2 * 65536 + 65535]).toBeCloseTo(50 / 255, 6);
  });
});

describe('letterboxed and stretched inputs', () => {
  it('letterbox: content top-left, padding bottom/right with the value after normalization', () => {
    const input = imageInput(image(4, 2, () => [255, 255, 255]), owl(8, true));
    expect(input.dims).toEqual([1, 3, 8, 8]);
    expect(input.resized).toEqual({ width: 8, height: 4 });
    for (let c = 0; c < 3; c++) {
      const white = (1 - CLIP_MEAN[c]) / CLIP_STD[c];
      expect(input.data[c * 64]).toBeCloseTo(white, 5);
      expect(input.data[c * 64 + 3 * 8 + 7]).toBeCloseTo(white, 5); // last content row
      expect(input.data[c * 64 + 4 * 8]).toBe(0); // first padding row
      expect(input.data[c * 64 + 63]).toBe(0);
    }
  });

  it('stretch: the whole square is image', () => {
    const input = imageInput(image(4, 2, () => [255, 255, 255]), owl(8, false));
    expect(input.resized).toEqual({ width: 8, height: 8 });
    expect(input.data[63]).toBeCloseTo((1 - CLIP_MEAN[0]) / CLIP_STD[0], 5);
  });

  it('SAM pixel_values: ResizeLongestSide (int(x + .5)), ImageNet mean/std, zero padding', () => {
    const input = imageInput(image(3, 2, () => [255, 0, 0]), samPixelValues(4));
    expect(input.resized).toEqual({ width: 4, height: 3 }); // 2 * 4/3 = 2.67 -> 3
    expect(input.data[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(input.data[16]).toBeCloseTo(-0.456 / 0.224, 5);
    expect(input.data[12]).toBe(0); // row 3 is padding
  });

  it('SAM input_image (Acly export): resized HWC 0..255, graph pads', () => {
    const input = imageInput(image(4, 2, () => [10, 20, 30]), samInputImage(8));
    expect(input.dims).toEqual([4, 8, 3]);
    expect(Array.from(input.data.subarray(0, 3))).toEqual([10, 20, 30]);
  });
});

describe('model frame back to image pixels', () => {
  it('letterbox: normalized boxes scale by the long side on both axes', () => {
    const img = { width: 400, height: 200 };
    const input = imageInput(image(400, 200, () => [0, 0, 0]), owl(16, true));
    const map = modelToImage(input, img);
    expect(cxcywhToImageBox(0.5, 0.25, 0.5, 0.5, input.canvas, map)).toEqual({ x1: 100, y1: 0, x2: 300, y2: 200 });
    // a box reaching into the padding is clamped at the image edge
    expect(cxcywhToImageBox(0.5, 0.5, 0.2, 0.5, input.canvas, map)).toEqual({ x1: 160, y1: 100, x2: 240, y2: 200 });
  });

  it('stretch: x scales by the width, y by the height', () => {
    const img = { width: 400, height: 200 };
    const input = imageInput(image(400, 200, () => [0, 0, 0]), owl(16, false));
    expect(cxcywhToImageBox(0.5, 0.25, 0.5, 0.5, input.canvas, modelToImage(input, img))).toEqual({ x1: 100, y1: 0, x2: 300, y2: 100 });
  });
});
