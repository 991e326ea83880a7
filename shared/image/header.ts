/**
 * What an image is, from its first bytes only: format by magic number (never a declared type), then
 * dimensions and JPEG EXIF orientation from the header. Nothing here decodes pixels, so it is safe
 * to run on hostile input before any limit is known to hold.
 */
import { imageSize } from 'image-size';
import { ProblemError } from '../problems';
import type { ImageFormat, ImageHeader } from './types';

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
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch (e) {
    throw new ProblemError('image-invalid', `The ${NAMES[format]} header could not be read: ${(e as Error).message}.`, { cause: e });
  }
  const { width, height } = size;
  if (!width || !height) throw new ProblemError('image-invalid', `The ${NAMES[format]} header gives no usable size (${width}x${height}).`);
  // The WebP decoder returns nothing for animations; say so instead of "could not decode".
  if (format === 'webp' && ascii(bytes, 12, 16) === 'VP8X' && bytes.length > 20 && (bytes[20] & 0x02) !== 0) {
    throw new ProblemError('image-unsupported', 'Animated WebP is not supported; send a still image.');
  }
  const o = size.orientation ?? 1;
  return { format, width, height, orientation: Number.isInteger(o) && o >= 1 && o <= 8 ? o : 1 };
}

/** Only to name a refused format in the problem detail. */
function otherType(bytes: Uint8Array): string | undefined {
  try {
    return imageSize(bytes).type;
  } catch {
    return undefined;
  }
}
