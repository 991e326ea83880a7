/**
 * EXIF orientation (TIFF tag 0x0112) applied to RGBA, so every later stage sees the image as a viewer
 * shows it and boxes come back in display pixels. Decoders here never rotate by themselves.
 */
import type { RgbaImage } from './types';

/** 5..8 are the transposing orientations: display width is the stored height. */
export const swapsAxes = (orientation: number) => orientation >= 5 && orientation <= 8;

/** Stored-frame size -> display-frame size (what a viewer shows after the EXIF orientation). */
export function orientedSize(width: number, height: number, orientation: number) {
  return swapsAxes(orientation) ? { width: height, height: width } : { width, height };
}

/**
 * For display pixel (x, y) the stored pixel index is start + x*stepX + y*stepY, with W, H the stored
 * size. Derived from the tag's definition of where stored row 0 / column 0 end up:
 *   2: (W-1-x, y)   3: (W-1-x, H-1-y)   4: (x, H-1-y)        5: (y, x)
 *   6: (y, H-1-x)   7: (W-1-y, H-1-x)   8: (W-1-y, x)
 */
function steps(o: number, W: number, H: number): [start: number, stepX: number, stepY: number] {
  switch (o) {
    case 2: return [W - 1, -1, W];
    case 3: return [H * W - 1, -1, -W];
    case 4: return [(H - 1) * W, 1, -W];
    case 5: return [0, W, 1];
    case 6: return [(H - 1) * W, -W, 1];
    case 7: return [H * W - 1, -W, -1];
    case 8: return [W - 1, W, -1];
    default: return [0, 1, W];
  }
}

/** RGBA `[H,W,4]` in the stored frame -> RGBA in the display frame (`[W,H,4]` for orientations 5..8); 1 or unknown: unchanged. */
export function applyOrientation(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation < 2 || orientation > 8) return img;
  const { width: W, height: H } = img;
  const { width, height } = orientedSize(W, H, orientation);
  // One 32-bit move per pixel; a view needs 4-byte alignment, which a fresh copy guarantees.
  const data = img.data.byteOffset % 4 === 0 ? img.data : img.data.slice();
  const src = new Uint32Array(data.buffer, data.byteOffset, W * H);
  const dst = new Uint32Array(width * height);
  const [start, stepX, stepY] = steps(orientation, W, H);
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = start + y * stepY;
    for (let x = 0; x < width; x++, i += stepX) dst[o++] = src[i];
  }
  return { width, height, data: new Uint8Array(dst.buffer) };
}
