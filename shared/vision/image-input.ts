/**
 * A model's image input, built from the manifest's preprocessing spec, and the map from the model's
 * frame back to image pixels. One interpreter for every stage so the resize policy, filter, crop,
 * padding and normalization of a model are stated once (in the manifest) and applied the same way:
 *  - shortest-edge (CLIP/MobileCLIP): long side truncated with int() (transformers'
 *    get_resize_output_image_size), then center crop with floor offsets (transformers' center_crop);
 *  - longest-edge (SAM's ResizeLongestSide, letterboxing): sides rounded with int(x + 0.5), content
 *    top-left, padding bottom/right with `pad.value` *after* normalization (SAM pads zeros there);
 *  - exact: stretched to width x height, aspect not kept (Hugging Face's OWL-ViT processor).
 * Resampling is PIL's (shared/image/resize), as the Hugging Face processors use PIL.
 */
import type { Preprocessing } from '../onnx/manifest-types';
import { fitLongSide, resize } from '../image/resize';
import { toFloatCHW } from '../image/tensor';
import type { RgbaImage, Size } from '../image/types';

export type ImageSpec = Extract<Preprocessing, { kind: 'image' }>;

export interface ImageInput {
  /** NCHW: `[1,3,canvas.height,canvas.width]` float32 RGB, normalized as the spec says; HWC: `[h,w,3]` float32 RGB times `rescale`. */
  data: Float32Array;
  dims: number[];
  /** The image content's size in the model frame (after resize, before crop or pad). */
  resized: Size;
  /** Top-left of the model input inside the resized image (non-zero only for a crop). */
  offset: { x: number; y: number };
  /** The model input's spatial size (after crop or pad). */
  canvas: Size;
}

/** transformers image_transforms.get_resize_output_image_size with default_to_square=False: original-image size -> resized size (short side = `size`). */
export function shortestEdgeSize(width: number, height: number, size: number): Size {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

/** transformers image_transforms.center_crop: top = (H - h) // 2, left = (W - w) // 2, in pixels of the image being cropped. */
export function centerCropOrigin(width: number, height: number, cropW: number, cropH: number): { x: number; y: number } {
  if (cropW > width || cropH > height) throw new RangeError(`crop ${cropW}x${cropH} is larger than the image ${width}x${height}`);
  return { x: Math.floor((width - cropW) / 2), y: Math.floor((height - cropH) / 2) };
}

/** RGBA `[H,W,4]` -> RGBA `[height,width,4]` from (left, top) of `img`'s frame; no bounds check (see centerCropOrigin). */
export function crop(img: RgbaImage, left: number, top: number, width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 4;
    data.set(img.data.subarray(from, from + width * 4), y * width * 4);
  }
  return { width, height, data };
}

/** Original-image size -> the content's size in the model frame for the spec's resize mode (before crop or pad). */
export function resizedSize(width: number, height: number, r: ImageSpec['resize']): Size {
  const size = r.size;
  if (r.mode === 'exact') {
    const [w, h] = typeof size === 'number' ? [size, size] : size;
    return { width: w, height: h };
  }
  if (typeof size !== 'number') throw new Error(`a ${r.mode} resize takes one size, got [${size}]`);
  if (r.mode === 'shortest-edge') return shortestEdgeSize(width, height, size);
  const fit = fitLongSide(width, height, size);
  return { width: fit.width, height: fit.height };
}

/** `[1,3,content.height,content.width]` float32 -> `[1,3,canvas.height,canvas.width]`: the content top-left, `value` elsewhere (the model frame's bottom/right padding). */
export function padChw(chw: Float32Array, content: Size, canvas: Size, value: number): Float32Array {
  const plane = canvas.width * canvas.height;
  const out = new Float32Array(3 * plane);
  if (value !== 0) out.fill(value);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < content.height; y++) {
      const from = c * content.width * content.height + y * content.width;
      out.set(chw.subarray(from, from + content.width), c * plane + y * canvas.width);
    }
  }
  return out;
}

/** RGBA `[H,W,4]` uint8 -> `[H,W,3]` float32 RGB times `rescale`, alpha dropped. */
export function toFloatHWC(img: RgbaImage, rescale: number): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = img.data[i * 4] * rescale;
    out[i * 3 + 1] = img.data[i * 4 + 1] * rescale;
    out[i * 3 + 2] = img.data[i * 4 + 2] * rescale;
  }
  return out;
}

/** RGBA `[H,W,4]` in original-image pixels -> the model's input tensor (see ImageInput) and what modelToImage needs to map back. */
export function imageInput(img: RgbaImage, spec: ImageSpec): ImageInput {
  const resized = resizedSize(img.width, img.height, spec.resize);
  let content = resize(img, resized.width, resized.height, spec.resize.resample);
  let offset = { x: 0, y: 0 };
  if (spec.crop) {
    offset = centerCropOrigin(content.width, content.height, spec.crop.width, spec.crop.height);
    content = crop(content, offset.x, offset.y, spec.crop.width, spec.crop.height);
  }
  const norm = { rescale: spec.rescale, mean: spec.normalize?.mean, std: spec.normalize?.std };
  if (spec.layout === 'HWC') {
    if (spec.pad || spec.normalize) throw new Error('HWC inputs are taken raw (the graph normalizes and pads); the spec asks for more');
    return { data: toFloatHWC(content, spec.rescale), dims: [content.height, content.width, 3], resized, offset, canvas: { width: content.width, height: content.height } };
  }
  let data = toFloatCHW(content, norm);
  let canvas = { width: content.width, height: content.height };
  if (spec.pad) {
    if (spec.pad.width < content.width || spec.pad.height < content.height) throw new Error(`pad ${spec.pad.width}x${spec.pad.height} is smaller than the content ${content.width}x${content.height}`);
    canvas = { width: spec.pad.width, height: spec.pad.height };
    data = padChw(data, { width: content.width, height: content.height }, canvas, spec.pad.value);
  }
  return { data, dims: [1, 3, canvas.height, canvas.width], resized, offset, canvas };
}

/**
 * Model-frame coordinates to image pixels: x_img = (x_model + offset.x) * W / resized.width. For
 * normalized boxes (OWL-ViT), multiply by the canvas size first. Per axis, with the rounded resized
 * size, so a letterboxed image maps back by max(W, H) / side up to that rounding, and a stretched
 * one by W and H.
 */
export interface FrameMap {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  /** The image boxes are clamped to. */
  width: number;
  height: number;
}

/** The map from `input`'s model frame (canvas pixels) back to pixels of `image`, the original the input was built from. */
export function modelToImage(input: ImageInput, image: Size): FrameMap {
  return {
    scaleX: image.width / input.resized.width,
    scaleY: image.height / input.resized.height,
    offsetX: input.offset.x,
    offsetY: input.offset.y,
    width: image.width,
    height: image.height,
  };
}
