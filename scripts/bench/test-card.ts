/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode';

/** How a card differs: the noise seed, and a flat bright block in the middle third (the fixture detector boxes it). */
export interface CardOptions { seed?: number; block?: boolean }

/** A photo-like test card: smooth gradients, rings and noise, so a JPEG of it is neither trivial nor random. */
export function photo(width: number, height: number, { seed = 1, block = false }: CardOptions = {}): never {
  const data = new Uint8ClampedArray(width * height * 4);
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 24) - 12;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const r = Math.hypot(x - width / 2, y - height / 2);
      const flat = block && x > width / 3 && x < (2 * width) / 3 && y > height / 4 && y < (3 * height) / 4;
      data[i] = flat ? 240 : (255 * x) / width + noise();
      data[i + 1] = flat ? 240 : 128 + 100 * Math.sin(r / 40) + noise();
      data[i + 2] = flat ? 240 : (255 * y) / height + noise();
      data[i + 3] = 255;
    }
  }
  return { data, width, height, colorSpace: 'srgb' } as never; // the encoder reads only these fields
}

/** The test card as a baseline JPEG, base64 (Node: the encoder's wasm is read from node_modules). */
export async function jpegBase64(width = 640, height = 480, quality = 85, card: CardOptions = {}): Promise<string> {
  const require = createRequire(import.meta.url);
  await initJpegEncoder({ wasmBinary: readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
  return Buffer.from(await encodeJpeg(photo(width, height, card), { quality, baseline: true })).toString('base64');
}
