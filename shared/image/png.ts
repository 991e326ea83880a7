/**
 * The PNG frame the decoder (the Rust `png` crate inside jSquash) will decode: its output buffer is
 * sized from IHDR, which must be the first chunk. A file whose chunks carry a second IHDR, or whose
 * first chunk is not IHDR (Apple's CgBI variant puts one before it), is refused here, so the size the
 * limits check is the only size the decoder can use.
 */
import { ProblemError } from '../problems';

const SIGNATURE_BYTES = 8;
const MAX_DIMENSION = 2 ** 31 - 1; // PNG's own bound on width and height

const invalid = (why: string) => new ProblemError('image-invalid', `The PNG is malformed: ${why}.`);
const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const fourcc = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

/** Width and height from IHDR, after checking every chunk header up to IEND (chunk data is not read). */
export function pngFrame(b: Uint8Array): { width: number; height: number } {
  if (b.length < SIGNATURE_BYTES + 8 + 13) throw invalid('the file ends before its IHDR chunk');
  const first = fourcc(b, SIGNATURE_BYTES + 4);
  if (first === 'CgBI') throw new ProblemError('image-unsupported', 'The PNG is an Apple-optimized (CgBI) file, which the decoder does not read; send a standard PNG.');
  if (first !== 'IHDR' || u32(b, SIGNATURE_BYTES) !== 13) throw invalid('its first chunk is not a 13-byte IHDR');
  const width = u32(b, 16);
  const height = u32(b, 20);
  if (!width || !height || width > MAX_DIMENSION || height > MAX_DIMENSION) throw invalid(`IHDR gives no usable size (${width}x${height})`);
  let at = SIGNATURE_BYTES + 12 + 13;
  while (at + 8 <= b.length) {
    const length = u32(b, at);
    const type = fourcc(b, at + 4);
    if (length > MAX_DIMENSION) throw invalid(`the ${JSON.stringify(type)} chunk declares ${length} bytes`);
    if (type === 'IHDR') throw invalid('a second IHDR chunk; the limits would not hold for the frame the decoder reads');
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return { width, height };
}
