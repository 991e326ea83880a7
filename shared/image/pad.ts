/**
 * Square inputs for models that want them (SAM: resize the long side, then pad; OWLv2: pad, then
 * resize). Padding goes bottom-right so box coordinates need no offset, only 1/scale.
 */
import { fitLongSide, resize, type ResizeFilter } from './resize';
import type { RgbaImage } from './types';

export interface PadOptions {
  /** RGBA of the padding; default opaque black. */
  fill?: readonly [number, number, number, number];
  /** Resize the long side to this first, so the result is size x size. */
  size?: number;
  filter?: ResizeFilter;
}

export interface Padded {
  /** RGBA `[side,side,4]` uint8: the content top-left, `fill` to the right and below. */
  image: RgbaImage;
  /** Content pixels per original pixel: divide padded-frame coordinates by it to get original-image pixels. */
  scale: number;
  /** Size of the image content inside the square (top-left), in padded-frame pixels. */
  width: number;
  height: number;
}

/**
 * RGBA `[H,W,4]` -> RGBA `[side,side,4]`, side = `size` or max(W, H). A point (x, y) in original-image
 * pixels is (x * scale, y * scale) in the padded frame (no offset: the padding is bottom-right).
 */
export function padToSquare(img: RgbaImage, opts: PadOptions = {}): Padded {
  const { fill = [0, 0, 0, 255], size, filter = 'bilinear' } = opts;
  let content = img;
  let scale = 1;
  if (size !== undefined) {
    const fit = fitLongSide(img.width, img.height, size);
    content = resize(img, fit.width, fit.height, filter);
    scale = fit.scale;
  }
  const side = size ?? Math.max(img.width, img.height);
  const data = new Uint8Array(side * side * 4);
  for (let i = 0; i < data.length; i += 4) data.set(fill, i);
  const rowBytes = content.width * 4;
  for (let y = 0; y < content.height; y++) {
    data.set(content.data.subarray(y * rowBytes, (y + 1) * rowBytes), y * side * 4);
  }
  return { image: { width: side, height: side, data }, scale, width: content.width, height: content.height };
}
