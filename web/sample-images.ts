/**
 * The demo's sample images, drawn here so the project ships no photos of anyone: flat scenes with
 * bright blocks (what the fixture detector and mask decoder respond to) over soft gradients.
 */
import type { RgbaImage } from '../shared/image/types';
import { encodePngRgb } from '../shared/vision/png-encode';

type Block = { x: number; y: number; w: number; h: number; rgb: [number, number, number] };

function scene(width: number, height: number, top: [number, number, number], bottom: [number, number, number], blocks: Block[]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) data[i + c] = top[c] + (bottom[c] - top[c]) * t;
      data[i + 3] = 255;
    }
  }
  for (const b of blocks) {
    for (let y = b.y; y < b.y + b.h; y++) {
      for (let x = b.x; x < b.x + b.w; x++) data.set([...b.rgb, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height } as RgbaImage;
}

export const SAMPLE_IMAGES: Record<string, () => Uint8Array> = {
  'street.png': () => encodePngRgb(scene(480, 320, [40, 60, 90], [20, 25, 35], [{ x: 150, y: 90, w: 180, h: 150, rgb: [250, 250, 240] }])),
  'podium.png': () => encodePngRgb(scene(480, 320, [90, 30, 30], [20, 10, 10], [
    { x: 60, y: 80, w: 120, h: 200, rgb: [255, 240, 220] }, { x: 300, y: 70, w: 120, h: 210, rgb: [240, 240, 255] },
  ])),
  'fair.png': () => encodePngRgb(scene(480, 320, [120, 80, 20], [30, 40, 10], [{ x: 200, y: 60, w: 160, h: 180, rgb: [255, 255, 200] }])),
};
