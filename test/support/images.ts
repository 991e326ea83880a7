/**
 * Test images built in the test itself (no fixture files): RGBA patterns, encoded with the jSquash
 * encoders, plus hand-assembled PNG chunks and JPEG EXIF segments for the cases encoders cannot make.
 */
import JPEG_ENC from '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm';
import WEBP_ENC_SIMD from '@jsquash/webp/codec/enc/webp_enc_simd.wasm';
import PNG_WASM from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import encodeJpegRaw, { init as initJpegEnc } from '@jsquash/jpeg/encode';
import encodePngRaw, { init as initPngEnc } from '@jsquash/png/encode';
import encodeWebpRaw, { init as initWebpEnc } from '@jsquash/webp/encode';
import type { RgbaImage } from '../../shared/image/types';
import { concat, crc32 } from './image-forgery';

export { asExtendedWebp, withDecoySof, withSecondIhdr, withSecondSof, withSofSize } from './image-forgery';

export type Rgba = [number, number, number, number];

export const RED: Rgba = [255, 0, 0, 255];
export const GREEN: Rgba = [0, 255, 0, 255];
export const BLUE: Rgba = [0, 0, 255, 255];
export const WHITE: Rgba = [255, 255, 255, 255];

export function makeImage(width: number, height: number, px: (x: number, y: number) => Rgba | number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(px(x, y), (y * width + x) * 4);
  return { width, height, data };
}

/**
 * 96 x 64, a white block (x 32..63, y 16..47) on black: the fixture detector boxes the brightest patch and the
 * fixture decoder masks the box, so tests of the vision path get a box and a mask.
 */
export const whiteBlock = (): RgbaImage => makeImage(96, 64, (x, y) => (x >= 32 && x < 64 && y >= 16 && y < 48 ? WHITE : [0, 0, 0, 255]));

/** Top-left red, top-right green, bottom-left blue, bottom-right white: every rotation and flip differs. */
export const quadrants = (width: number, height: number) =>
  makeImage(width, height, (x, y) => (y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : WHITE));

export const pixel = (img: RgbaImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

/** The colours at the centres of the four quadrants, in reading order. */
export const quadrantColours = (img: RgbaImage) =>
  [[1, 1], [3, 1], [1, 3], [3, 3]].map(([qx, qy]) => pixel(img, Math.floor((img.width * qx) / 4), Math.floor((img.height * qy) / 4)));

/** Every channel within tol of the expected colour (lossy codecs move colours a little). */
export const near = (actual: number[], expected: number[], tol = 8) => actual.every((v, i) => Math.abs(v - expected[i]) <= tol);

// The encoders want an ImageData, which Workers lack (and its type too): the fields are enough.
const imageData = (img: RgbaImage) => ({ data: new Uint8ClampedArray(img.data), width: img.width, height: img.height, colorSpace: 'srgb' }) as never;

let jpegReady: Promise<unknown> | undefined;
let pngReady: Promise<unknown> | undefined;
let webpReady: Promise<unknown> | undefined;

export async function encodeJpeg(img: RgbaImage, quality = 95): Promise<Uint8Array> {
  await (jpegReady ??= initJpegEnc(JPEG_ENC as never));
  // 4:4:4 so colours of small blocks survive; baseline keeps the structure simple to splice into.
  return new Uint8Array(await encodeJpegRaw(imageData(img), { quality, progressive: false, baseline: true, auto_subsample: false, chroma_subsample: 1 } as never));
}

export async function encodePng(img: RgbaImage): Promise<Uint8Array> {
  await (pngReady ??= initPngEnc(PNG_WASM));
  return new Uint8Array(await encodePngRaw(imageData(img)));
}

export async function encodeWebp(img: RgbaImage, opts: { lossless?: boolean; quality?: number } = {}): Promise<Uint8Array> {
  // jSquash picks the SIMD build when the runtime has SIMD (workerd does), so pass that module.
  await (webpReady ??= initWebpEnc(WEBP_ENC_SIMD as never));
  return new Uint8Array(await encodeWebpRaw(imageData(img), { lossless: opts.lossless ? 1 : 0, quality: opts.quality ?? 90 }));
}

/**
 * The JPEG with an APP1 Exif segment right after SOI holding one IFD0 entry, Orientation = o.
 * Big-endian ("MM") TIFF: header 8 bytes, IFD0 at offset 8 with 1 entry, next-IFD 0.
 */
export function withOrientation(jpeg: Uint8Array, o: number, byteOrder: 'MM' | 'II' = 'MM'): Uint8Array {
  const le = byteOrder === 'II';
  const u16 = (v: number) => (le ? [v & 255, v >> 8] : [v >> 8, v & 255]);
  const u32 = (v: number) => (le ? [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24] : [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  const tiff = [
    ...[...byteOrder].map((c) => c.charCodeAt(0)), ...u16(42), ...u32(8),
    ...u16(1), // one entry
    ...u16(0x0112), ...u16(3), ...u32(1), ...u16(o), 0, 0, // Orientation, SHORT, count 1, value padded to 4
    ...u32(0), // no next IFD
  ];
  const payload = [...'Exif'].map((c) => c.charCodeAt(0)).concat([0, 0], tiff);
  const segment = [0xff, 0xe1, ...[(payload.length + 2) >> 8, (payload.length + 2) & 255], ...payload];
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlib(raw: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A PNG assembled by hand. `rows` are the unfiltered scanlines (filter byte 0 is added); IHDR may
 * claim any size, which is how a decompression bomb's header is made.
 * colorType: 0 grey, 2 RGB, 6 RGBA; bit depth 8.
 */
export async function handPng(opts: { width: number; height: number; colorType: 0 | 2 | 6; rows: number[][] }): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, opts.width);
  v.setUint32(4, opts.height);
  ihdr.set([8, opts.colorType, 0, 0, 0], 8);
  const raw = new Uint8Array(opts.rows.flatMap((r) => [0, ...r]));
  return concat([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], chunk('IHDR', ihdr), chunk('IDAT', await zlib(raw)), chunk('IEND', new Uint8Array(0)));
}

export const toBase64 = (bytes: Uint8Array) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

