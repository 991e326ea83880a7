/**
 * The two JPEG byte-level facts intake needs that no library gives: whether the file ends (libjpeg
 * silently fills a truncated scan with grey), and a copy with the EXIF orientation set to 1 (so a
 * platform resizer returns the stored frame whatever its auto-rotate policy; intake rotates itself).
 */

interface Segment {
  marker: number;
  /** Payload bounds: after the 2-byte length, up to the segment end. */
  start: number;
  end: number;
}

/** Marker segments from SOI up to and including the first SOS (start of scan). */
function* segments(b: Uint8Array): Generator<Segment> {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const length = (b[i + 2] << 8) | b[i + 3];
    if (length < 2) return;
    yield { marker, start: i + 4, end: Math.min(i + 2 + length, b.length) };
    if (marker === 0xda) return;
    i += 2 + length;
  }
}

/**
 * True when an EOI marker follows the first scan. Entropy-coded data never contains FF D9 (FF is
 * always stuffed), so searching back from the end is exact, and an EXIF thumbnail's EOI (inside
 * APP1, before the scan) cannot fool it.
 */
export function jpegHasEnd(b: Uint8Array): boolean {
  let scan = -1;
  for (const s of segments(b)) if (s.marker === 0xda) scan = s.end;
  if (scan < 0) return false;
  for (let i = b.length - 2; i >= scan; i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

/** The bytes with every IFD0 Orientation tag set to 1; the same array when there is none. */
export function clearOrientation(b: Uint8Array): Uint8Array {
  let out = b;
  for (const s of segments(b)) {
    if (s.marker !== 0xe1 || s.end - s.start < 14) continue;
    if (String.fromCharCode(...b.subarray(s.start, s.start + 6)) !== 'Exif\0\0') continue;
    const at = orientationValueAt(b, s.start + 6, s.end);
    if (at < 0) continue;
    if (out === b) out = b.slice();
    const littleEndian = b[s.start + 6] === 0x49;
    out[at] = littleEndian ? 1 : 0;
    out[at + 1] = littleEndian ? 0 : 1;
  }
  return out;
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
