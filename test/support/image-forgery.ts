/**
 * Hand-forged image bytes for the header tests (test/workers/image-frame.test.ts) and
 * scripts/measure/lying-jpeg.ts: plain byte surgery, no codec, so Node scripts can import it too
 * (images.ts imports wasm modules only workerd loads).
 */
import { concatBytes, crc32 } from '../../shared/vision/png-encode';

/** PNG chunk checksums: the encoder's own (png-encode.ts has no wasm imports, so Node can load it). */
export { crc32 };

/** A copy of the JPEG whose SOF0 claims another size (the scan data stays that of the real size). */
export function withSofSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice();
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.set([height >> 8, height & 255, width >> 8, width & 255], i + 5);
      return out;
    }
  }
  throw new Error('no SOF marker');
}

export const concat = concatBytes;

/**
 * The JPEG with a decoy frame header that a length-following reader (image-size) takes and libjpeg
 * never sees: after a small APP0, a fill byte (FF FF E2 …) makes such a reader read the APP2 marker
 * and its length's first byte as a segment length (0xE2E3), landing inside APP2's payload, where a
 * fake SOF0 claims `fake`. libjpeg skips the fill byte and the whole APP2, then reads the real SOF.
 */
export function withDecoySof(jpeg: Uint8Array, fake: { width: number; height: number }): Uint8Array {
  const app0 = [0xff, 0xe0, 0, 16, ...[...'JFIF'].map((c) => c.charCodeAt(0)), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const length = 0xe300; // its high byte 0xE3 with the marker byte 0xE2 forms the decoy jump 0xE2E3
  const app2 = new Uint8Array(2 + length);
  app2.set([0xff, 0xe2, length >> 8, length & 255]);
  // image-size reads from byte 4 of the file; after the fill byte it stands on the E2 at file offset 22
  // and jumps 0xE2E3 bytes from there: file offset 22 + 0xE2E3, which is app2 offset 22 + 0xE2E3 - 21.
  const at = 22 + 0xe2e3 - 21;
  app2.set([0xff, 0xc0, 0, 17, 8, fake.height >> 8, fake.height & 255, fake.width >> 8, fake.width & 255, 3], at);
  return concat(jpeg.subarray(0, 2), app0, [0xff], app2, jpeg.subarray(2));
}

/** The JPEG with a copy of its SOF segment, claiming `size`, inserted before `where` (a marker byte, e.g. 0xDA or 0xD9). */
export function withSecondSof(jpeg: Uint8Array, size: { width: number; height: number }, where: 0xda | 0xd9): Uint8Array {
  const sofAt = jpeg.findIndex((v, i) => v === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2));
  const sof = jpeg.slice(sofAt, sofAt + 2 + ((jpeg[sofAt + 2] << 8) | jpeg[sofAt + 3]));
  sof.set([size.height >> 8, size.height & 255, size.width >> 8, size.width & 255], 5);
  // The first SOS after the SOF (before the scan), or the final EOI (after it).
  const at = where === 0xda ? jpeg.findIndex((v, i) => i > sofAt && v === 0xff && jpeg[i + 1] === 0xda) : jpeg.length - 2;
  return concat(jpeg.subarray(0, at), sof, jpeg.subarray(at));
}

/** A PNG with a second IHDR (claiming `size`) inserted right after the first. */
export function withSecondIhdr(png: Uint8Array, size: { width: number; height: number }): Uint8Array {
  const ihdr = png.slice(8, 33);
  new DataView(ihdr.buffer).setUint32(8, size.width);
  new DataView(ihdr.buffer).setUint32(12, size.height);
  new DataView(ihdr.buffer).setUint32(21, crc32(ihdr.subarray(4, 21)));
  return concat(png.subarray(0, 33), ihdr, png.subarray(33));
}

/** A simple (VP8 or VP8L) WebP rewrapped as extended: a VP8X chunk claiming `canvas`, then `extra` chunks, then the image chunk. */
export function asExtendedWebp(webp: Uint8Array, canvas: { width: number; height: number }, extra: Uint8Array[] = []): Uint8Array {
  const u24 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255];
  const vp8x = [...[...'VP8X'].map((c) => c.charCodeAt(0)), 10, 0, 0, 0, 0, 0, 0, 0, ...u24(canvas.width - 1), ...u24(canvas.height - 1)];
  const body = concat([...'WEBP'].map((c) => c.charCodeAt(0)), vp8x, ...extra, webp.subarray(12));
  const size = body.length;
  return concat([...'RIFF'].map((c) => c.charCodeAt(0)), [size & 255, (size >> 8) & 255, (size >> 16) & 255, size >>> 24], body);
}
