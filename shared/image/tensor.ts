/** Pixels to a model input: RGBA `[H,W,4]` uint8 -> `[1,3,H,W]` float32 RGB planes (alpha dropped, as PIL's convert('RGB') does). */
import type { RgbaImage } from './types';

export interface NormalizeOptions {
  /** Per-channel RGB mean and std applied after rescaling; defaults 0 and 1. */
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  /** Multiplies the 0..255 value first; default 1/255. */
  rescale?: number;
}

/**
 * Returns data for dims `[1,3,height,width]` float32, RGB channel-planar, same pixel frame as `img`:
 * value = (p * rescale - mean[c]) / std[c] (CLIP-normalized when given CLIP_MEAN/CLIP_STD).
 */
export function toFloatCHW(img: RgbaImage, opts: NormalizeOptions = {}): Float32Array {
  const { mean = [0, 0, 0], std = [1, 1, 1], rescale = 1 / 255 } = opts;
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // Folded into one multiply-add per value: (p*r - m)/s = p*(r/s) - m/s.
    const a = rescale / std[c], b = -mean[c] / std[c], base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = img.data[i * 4 + c] * a + b;
  }
  return out;
}
