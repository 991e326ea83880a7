/**
 * JPEG byte-level facts intake needs, read the way libjpeg (mozjpeg, which decodes in the isolate)
 * reads them, so that a limit checked here holds for the frame the decoder will decode:
 * - the frame header (SOF): size and kind. A reader that merely follows segment lengths can be sent
 *   into an APP segment by a fill byte and read a fake SOF there; libjpeg's next_marker skips fill
 *   bytes and stray data, so the walk below does too, and a second SOF is refused as libjpeg refuses it;
 * - whether the file ends (libjpeg silently fills a truncated scan with grey);
 * - a copy with the EXIF orientation set to 1 (so a platform resizer returns the stored frame whatever
 *   its auto-rotate policy; intake rotates itself).
 */
import { ProblemError } from '../problems';

interface Segment {
  marker: number;
  /** Payload bounds: after the 2-byte length, up to the segment end (0-length for markers without one). */
  start: number;
  end: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Frame headers the decoder decodes: baseline, extended and progressive Huffman. */
const DECODED_SOF = new Set([0xc0, 0xc1, 0xc2]);
/**
 * Frame headers it refuses: lossless and hierarchical (libjpeg's "Unsupported JPEG process"), and
 * arithmetic-coded ones (this mozjpeg build: "arithmetic coding is not implemented").
 */
const REFUSED_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Markers libjpeg's read_markers accepts besides SOFs: DHT, DAC, DQT, DRI, DNL, APPn, COM (plus SOI/EOI/SOS/RSTn/TEM). */
const isKnown = (m: number) => m === 0xc4 || m === 0xcc || m === 0xdb || m === 0xdd || m === 0xdc || (m >= 0xe0 && m <= 0xef) || m === 0xfe;
const isRst = (m: number) => m >= 0xd0 && m <= 0xd7;

/**
 * Every marker from SOI to EOI (or the end of the data), as libjpeg's next_marker finds them: bytes
 * before an FF are skipped, runs of FF are fill, FF 00 is stuffing. After SOS the entropy-coded data
 * is skipped the same way, so markers between scans (and any second frame header) are seen too.
 */
function* markers(b: Uint8Array): Generator<Segment> {
  if (b.length < 2 || b[0] !== 0xff || b[1] !== SOI) return;
  yield { marker: SOI, start: 2, end: 2 };
  let i = 2;
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i < 0) return;
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) return;
    const marker = b[i++];
    if (marker === 0x00) continue; // stuffed FF in entropy-coded data
    if (marker === 0x01 || isRst(marker) || marker === SOI || marker === EOI) {
      yield { marker, start: i, end: i };
      if (marker === EOI) return;
      continue;
    }
    if (i + 2 > b.length) return;
    const length = (b[i] << 8) | b[i + 1];
    if (length < 2) throw invalid(`a marker segment (0x${marker.toString(16).toUpperCase()}) has the impossible length ${length}`);
    const end = Math.min(i + length, b.length);
    yield { marker, start: i + 2, end };
    i = end;
  }
}

/** Marker segments up to and including the first SOS. */
function* headerSegments(b: Uint8Array): Generator<Segment> {
  for (const s of markers(b)) {
    yield s;
    if (s.marker === SOS) return;
  }
}

const invalid = (why: string) => new ProblemError('image-invalid', `The JPEG is malformed: ${why}.`);

export interface JpegFrame {
  width: number;
  height: number;
  /** The SOF marker (0xC0 baseline, 0xC2 progressive, …). */
  sof: number;
  components: number;
  /** EXIF orientation 1..8 from the first Exif APP1 segment; 1 when absent or out of range. */
  orientation: number;
}

/**
 * The one frame mozjpeg will decode, or a problem: no SOF, a SOF libjpeg does not decode, a second
 * SOF (or SOI) anywhere before EOI, a scan before the frame, or a zero dimension (libjpeg has no DNL
 * support). Reads every byte once (entropy data by indexOf), no decoding.
 */
export function jpegFrame(b: Uint8Array): JpegFrame {
  let frame: JpegFrame | null = null;
  let orientation = 0;
  let soi = 0;
  for (const s of markers(b)) {
    const m = s.marker;
    if (m === SOI) {
      if (++soi > 1) throw invalid('a second start-of-image marker before the end of the first image');
    } else if (DECODED_SOF.has(m)) {
      if (frame) throw invalid('a second frame header (SOF); the limits would not hold for the frame the decoder reads');
      if (s.end - s.start < 6) throw invalid('the frame header (SOF) is cut short');
      const height = (b[s.start + 1] << 8) | b[s.start + 2];
      const width = (b[s.start + 3] << 8) | b[s.start + 4];
      const components = b[s.start + 5];
      if (!width || !height || !components) throw invalid(`the frame header gives no usable size (${width}x${height}, ${components} components)`);
      frame = { width, height, sof: m, components, orientation: 1 };
    } else if (REFUSED_SOF.has(m)) {
      throw new ProblemError('image-unsupported', `The JPEG uses a lossless, hierarchical or arithmetic-coded frame (SOF 0x${m.toString(16).toUpperCase()}) that the decoder does not read; send a baseline or progressive JPEG.`);
    } else if (m === SOS) {
      if (!frame) throw invalid('a scan starts before any frame header');
    } else if (m === 0xe1 && !orientation) {
      orientation = exifOrientation(b, s);
    } else if (!(m === EOI || m === 0x01 || isRst(m) || isKnown(m))) {
      throw invalid(`marker 0x${m.toString(16).toUpperCase()} is not one the decoder reads`);
    }
  }
  if (!frame) throw invalid('no frame header (SOF) was found');
  frame.orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
  return frame;
}

/**
 * True when an EOI marker follows the first scan. Entropy-coded data never contains FF D9 (FF is
 * always stuffed), so searching back from the end is exact, and an EXIF thumbnail's EOI (inside
 * APP1, before the scan) cannot fool it.
 */
export function jpegHasEnd(b: Uint8Array): boolean {
  let scan = -1;
  try {
    for (const s of headerSegments(b)) if (s.marker === SOS) scan = s.end;
  } catch {
    return false;
  }
  if (scan < 0) return false;
  for (let i = b.length - 2; i >= scan; i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

/** The bytes with every IFD0 Orientation tag set to 1; the same array when there is none. */
export function clearOrientation(b: Uint8Array): Uint8Array {
  let out = b;
  for (const s of headerSegments(b)) {
    const at = s.marker === 0xe1 ? orientationAt(b, s) : -1;
    if (at < 0) continue;
    if (out === b) out = b.slice();
    const littleEndian = b[s.start + 6] === 0x49;
    out[at] = littleEndian ? 1 : 0;
    out[at + 1] = littleEndian ? 0 : 1;
  }
  return out;
}

function exifOrientation(b: Uint8Array, s: Segment): number {
  const at = orientationAt(b, s);
  if (at < 0) return 0;
  return b[s.start + 6] === 0x49 ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
}

/** Offset of the Orientation SHORT in an Exif APP1 segment, or -1. */
function orientationAt(b: Uint8Array, s: Segment): number {
  if (s.end - s.start < 14) return -1;
  if (String.fromCharCode(...b.subarray(s.start, s.start + 6)) !== 'Exif\0\0') return -1;
  return orientationValueAt(b, s.start + 6, s.end);
}

/** Offset of the SHORT value of tag 0x0112 in IFD0 of the TIFF block at `tiff`, or -1. */
function orientationValueAt(b: Uint8Array, tiff: number, end: number): number {
  const le = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!le && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return -1;
  const u16 = (o: number) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
  const u32 = (o: number) => (le ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return -1;
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + 12 * k;
    if (entry + 12 > end) return -1;
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3) return entry + 8;
  }
  return -1;
}
