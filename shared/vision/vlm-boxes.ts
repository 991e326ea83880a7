/**
 * Box conventions of hosted vision-language models, to image pixels (Gemini: https://ai.google.dev/gemini-api/docs/image-understanding;
 * Qwen2.5-VL / Qwen3-VL: the cookbooks of https://github.com/QwenLM/Qwen3-VL and its issues #721, #866, #1485, #1741):
 *  - Gemini `box_2d`: [ymin, xmin, ymax, xmax], integers normalized to 0..1000 (y first);
 *  - Qwen3-VL `bbox_2d`: [x1, y1, x2, y2] relative 0..1000;
 *  - Qwen2.5-VL `bbox_2d`: [x1, y1, x2, y2] in absolute pixels of the image *as the model saw it*,
 *    i.e. after its smart_resize (sides multiples of 28 within min/max pixels).
 */
import type { Size } from '../image/types';
import type { Box } from '../pipeline/contracts';

export type BoxConvention = 'gemini' | 'qwen3' | 'qwen2.5';

/** Python's round(): half to even, which qwen_vl_utils' round_by_factor inherits. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface SmartResizeOptions {
  factor?: number;
  minPixels?: number;
  maxPixels?: number;
}

/** Qwen2.5-VL defaults (qwen_vl_utils): factor 28, min 4*28*28, max 16384*28*28. */
export const QWEN25_RESIZE: Required<SmartResizeOptions> = { factor: 28, minPixels: 4 * 28 * 28, maxPixels: 16384 * 28 * 28 };

/** qwen_vl_utils.smart_resize: image size -> the size the model sees (sides multiples of `factor`), as width/height (the Python returns h, w). */
export function smartResize(width: number, height: number, opts: SmartResizeOptions = {}): Size {
  const { factor, minPixels, maxPixels } = { ...QWEN25_RESIZE, ...opts };
  if (Math.max(width, height) / Math.min(width, height) > 200) throw new RangeError('aspect ratio above 200 is not supported by smart_resize');
  let h = Math.max(factor, roundHalfEven(height / factor) * factor);
  let w = Math.max(factor, roundHalfEven(width / factor) * factor);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { width: w, height: h };
}

export type BoxReading = { ok: true; box: Box } | { ok: false; reason: string };

function finite4(v: unknown): v is [number, number, number, number] {
  return Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * `values` as read from the answer (in the convention's frame, see the top of this file) -> `{x1,y1,x2,y2}`
 * in pixels of `image`. `seen` is the size the model was
 * shown (only the absolute Qwen2.5 convention needs it). Slight overshoot (models write 1000 for
 * the edge, or a pixel past it) is clamped; inverted or empty boxes are refused.
 */
export function readVlmBox(values: unknown, convention: BoxConvention, image: Size, seen: Size = image): BoxReading {
  if (!finite4(values)) return { ok: false, reason: 'the box is not four numbers' };
  let x1: number, y1: number, x2: number, y2: number, sx: number, sy: number, limitX: number, limitY: number;
  if (convention === 'gemini') {
    [y1, x1, y2, x2] = values;
    sx = image.width / 1000; sy = image.height / 1000; limitX = limitY = 1000;
  } else if (convention === 'qwen3') {
    [x1, y1, x2, y2] = values;
    sx = image.width / 1000; sy = image.height / 1000; limitX = limitY = 1000;
  } else {
    [x1, y1, x2, y2] = values;
    sx = image.width / seen.width; sy = image.height / seen.height; limitX = seen.width; limitY = seen.height;
  }
  const tolerance = 0.02;
  if ([x1, x2].some((v) => v < -tolerance * limitX || v > (1 + tolerance) * limitX) || [y1, y2].some((v) => v < -tolerance * limitY || v > (1 + tolerance) * limitY)) {
    return { ok: false, reason: `the box [${values.join(', ')}] lies outside the ${convention} coordinate range` };
  }
  if (!(x2 > x1 && y2 > y1)) return { ok: false, reason: `the box [${values.join(', ')}] is empty or inverted` };
  const cx = (v: number) => Math.min(Math.max(v * sx, 0), image.width);
  const cy = (v: number) => Math.min(Math.max(v * sy, 0), image.height);
  return { ok: true, box: { x1: cx(x1), y1: cy(y1), x2: cx(x2), y2: cy(y2) } };
}
