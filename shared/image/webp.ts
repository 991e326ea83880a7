/**
 * The WebP frame libwebp will decode. WebPDecode sizes its output from the VP8/VP8L bitstream header
 * and, for an extended (VP8X) file, refuses a canvas that differs from it; this reads both the way
 * libwebp's ParseHeadersInternal does (VP8X first, then unknown chunks skipped up to the first VP8 or
 * VP8L chunk) and refuses the same disagreement, so the size the limits check is the decoded size.
 */
import { ProblemError } from '../problems';
import type { Size } from './types';

const invalid = (why: string) => new ProblemError('image-invalid', `The WebP is malformed: ${why}.`);
const u24 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
const u32 = (b: Uint8Array, at: number) => (u24(b, at) + b[at + 3] * 2 ** 24);
const fourcc = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

export function webpFrame(b: Uint8Array): Size {
  let at = 12;
  if (b.length < at + 8) throw invalid('the file ends before its first chunk');
  let canvas: Size | null = null;
  if (fourcc(b, at) === 'VP8X') {
    if (u32(b, at + 4) < 10 || b.length < at + 18) throw invalid('the VP8X chunk is cut short');
    if (b[at + 8] & 0x02) throw new ProblemError('image-unsupported', 'Animated WebP is not supported; send a still image.');
    canvas = { width: 1 + u24(b, at + 12), height: 1 + u24(b, at + 15) };
    at = next(b, at);
    // libwebp skips ALPH and unknown chunks until the image bitstream.
    while (at + 8 <= b.length && fourcc(b, at) !== 'VP8 ' && fourcc(b, at) !== 'VP8L') at = next(b, at);
  }
  if (at + 8 > b.length) throw invalid('no VP8 or VP8L image chunk was found');
  const type = fourcc(b, at);
  const data = at + 8;
  const frame = type === 'VP8 ' ? lossy(b, data) : type === 'VP8L' ? lossless(b, data) : null;
  if (!frame) throw invalid(`the image chunk is ${JSON.stringify(type)}, not VP8 or VP8L`);
  if (canvas && (canvas.width !== frame.width || canvas.height !== frame.height)) {
    throw invalid(`the VP8X canvas is ${canvas.width}x${canvas.height} but the image bitstream is ${frame.width}x${frame.height}`);
  }
  return frame;
}

/** Chunks are padded to an even size. */
const next = (b: Uint8Array, at: number) => at + 8 + u32(b, at + 4) + (u32(b, at + 4) & 1);

/** VP8GetInfo: a key frame, the start code 9D 01 2A, then 14-bit width and height. */
function lossy(b: Uint8Array, d: number): Size {
  if (d + 10 > b.length) throw invalid('the VP8 frame header is cut short');
  if (b[d] & 1) throw invalid('the VP8 bitstream does not start with a key frame');
  if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) throw invalid('the VP8 start code is missing');
  const width = (b[d + 6] | (b[d + 7] << 8)) & 0x3fff;
  const height = (b[d + 8] | (b[d + 9] << 8)) & 0x3fff;
  if (!width || !height) throw invalid(`the VP8 frame header gives no usable size (${width}x${height})`);
  return { width, height };
}

/** VP8LGetInfo: signature 0x2F, 14-bit width-1 and height-1, alpha bit, 3-bit version 0. */
function lossless(b: Uint8Array, d: number): Size {
  if (d + 5 > b.length) throw invalid('the VP8L header is cut short');
  if (b[d] !== 0x2f) throw invalid('the VP8L signature is missing');
  const bits = u32(b, d + 1);
  if (bits >>> 29 !== 0) throw invalid('the VP8L version is not 0');
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}
