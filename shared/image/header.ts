/**
 * What an image is, from its bytes alone: format by magic number (never a declared type), then the
 * size of the frame the decoder will decode and JPEG EXIF orientation. The size is read the way each
 * decoder reads it (jpeg.ts, png.ts, webp.ts), not by a generic reader that a crafted file can point
 * at a fake header. Nothing here decodes pixels, so it is safe to run on hostile input before any
 * limit is known to hold.
 */
import { imageSize } from 'image-size';
import { ProblemError } from '../problems';
import { jpegFrame } from './jpeg';
import { pngFrame } from './png';
import type { ImageFormat, ImageHeader } from './types';
import { webpFrame } from './webp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const NAMES: Record<ImageFormat, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' };

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return 'png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  return null;
}

export const formatName = (f: ImageFormat) => NAMES[f];

/** Throws image-unsupported for other formats and image-invalid for unreadable headers. */
export function readHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new ProblemError('image-invalid', 'The image is empty (0 bytes).');
  const format = sniffFormat(bytes);
  if (!format) {
    const other = otherType(bytes);
    throw new ProblemError('image-unsupported', `The image is not JPEG, PNG or WebP${other ? ` (it looks like ${other.toUpperCase()})` : ''}; send one of those.`);
  }
  if (format === 'jpeg') {
    const { width, height, orientation } = jpegFrame(bytes);
    return { format, width, height, orientation };
  }
  const { width, height } = format === 'png' ? pngFrame(bytes) : webpFrame(bytes);
  return { format, width, height, orientation: 1 };
}

/** Only to name a refused format in the problem detail. */
function otherType(bytes: Uint8Array): string | undefined {
  try {
    return imageSize(bytes).type;
  } catch {
    return undefined;
  }
}
