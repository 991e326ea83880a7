/**
 * The size the limits check is the size the decoder decodes (issue 11, item 1). Each adversarial
 * file is built here; `imageSize` (the generic reader intake used before) shows what a header reader
 * that does not walk like the decoder would have believed, and the counting decoder shows that the
 * refusal comes from the header stage, before any decoding.
 */
import { imageSize } from 'image-size';
import { describe, expect, it } from 'vitest';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import { DEFAULT_INTAKE_OPTIONS, intakeImage, readHeader } from '../../shared/image/intake';
import type { ImageDecoder } from '../../shared/image/types';
import {
  asExtendedWebp, encodeJpeg, encodePng, encodeWebp, quadrants, withDecoySof, withSecondIhdr, withSecondSof, withSofSize,
} from '../support/images';
import { problemOf as refusal } from '../support/problem-of';

const decoder = imageDecoder();

function countingDecoder() {
  const calls: string[] = [];
  const d: ImageDecoder = { decode: (b, f) => (calls.push(f), decoder.decode(b, f)) };
  return { d, calls };
}

/** Intake with a counting decoder: the problem and how many decodes ran. */
async function intakeRefusal(bytes: Uint8Array, opts = DEFAULT_INTAKE_OPTIONS) {
  const { d, calls } = countingDecoder();
  const p = await refusal(intakeImage({ kind: 'bytes', bytes }, opts, { decoder: d }));
  return { kind: p.kind, status: p.status, message: p.message, extensions: p.extensions, decodes: calls.length };
}

describe('JPEG: the frame libjpeg decodes', () => {
  it('a fill byte and a decoy SOF inside APP2 fool a length-following reader, not this one', async () => {
    const jpeg = withDecoySof(await encodeJpeg(quadrants(64, 48)), { width: 8, height: 8 });
    expect(imageSize(jpeg)).toMatchObject({ width: 8, height: 8 }); // what intake used to believe
    expect(readHeader(jpeg)).toMatchObject({ width: 64, height: 48 });
    const decoded = await decoder.decode(jpeg, 'jpeg'); // mozjpeg skips the fill byte and the APP2
    expect([decoded.width, decoded.height]).toEqual([64, 48]);
  });

  it('a decoy 100x100 in front of a real 9000x6000 frame is refused 413 before decoding', async () => {
    const jpeg = withDecoySof(withSofSize(await encodeJpeg(quadrants(16, 16)), 9000, 6000), { width: 100, height: 100 });
    expect(imageSize(jpeg)).toMatchObject({ width: 100, height: 100 });
    const r = await intakeRefusal(jpeg);
    expect([r.kind, r.status, r.decodes]).toEqual(['image-too-large', 413, 0]);
    expect(r.extensions).toMatchObject({ width: 9000, height: 6000, limit_pixels: 40_000_000 });
  });

  it('the isolate decode limit holds against the real frame too', async () => {
    const jpeg = withDecoySof(withSofSize(await encodeJpeg(quadrants(16, 16)), 2000, 1500), { width: 100, height: 100 });
    const r = await intakeRefusal(jpeg);
    expect([r.kind, r.decodes, r.extensions.limit_pixels]).toEqual(['image-too-large', 0, DEFAULT_INTAKE_OPTIONS.maxIsolateDecodePixels]);
    expect(r.message).toMatch(/^The image is 2000x1500/);
  });

  it.each([['before the scan', 0xda], ['after the scan', 0xd9]] as const)('a second SOF %s is refused 422 before decoding', async (_, where) => {
    const jpeg = withSecondSof(await encodeJpeg(quadrants(16, 16)), { width: 9000, height: 6000 }, where);
    expect(imageSize(jpeg)).toMatchObject({ width: 16, height: 16 }); // the first one only
    const r = await intakeRefusal(jpeg);
    expect([r.kind, r.status, r.decodes]).toEqual(['image-invalid', 422, 0]);
    expect(r.message).toMatch(/second frame header/);
    // mozjpeg refuses it too, but only once it reaches it: after decoding the first frame when it follows the scan.
    expect((await refusal(decoder.decode(jpeg, 'jpeg'))).message).toMatch(/two SOF markers/);
  });

  it('stray bytes before a marker are skipped as libjpeg skips them', async () => {
    const jpeg = await encodeJpeg(quadrants(40, 24));
    const after = 4 + ((jpeg[4] << 8) | jpeg[5]); // the end of the first segment
    const stray = new Uint8Array(jpeg.length + 5);
    stray.set(jpeg.subarray(0, after));
    stray.set([1, 2, 3, 4, 5], after);
    stray.set(jpeg.subarray(after), after + 5);
    expect(readHeader(stray)).toMatchObject({ width: 40, height: 24 });
    const decoded = await decoder.decode(stray, 'jpeg');
    expect([decoded.width, decoded.height]).toEqual([40, 24]);
  });

  it.each([['lossless', 0xc3], ['arithmetic-coded', 0xc9]])('a %s frame, which this mozjpeg refuses, is 415 from the header', async (_, marker) => {
    const jpeg = await encodeJpeg(quadrants(16, 16));
    const other = jpeg.slice();
    other[other.findIndex((v, i) => v === 0xff && jpeg[i + 1] === 0xc0) + 1] = marker;
    expect((await refusal(() => readHeader(other))).kind).toBe('image-unsupported');
    expect((await refusal(decoder.decode(other, 'jpeg'))).message).toMatch(/Unsupported JPEG process|arithmetic coding is not implemented/);
  });

  it('no SOF, or a scan before it, is 422', async () => {
    const jpeg = await encodeJpeg(quadrants(16, 16));
    const sof = jpeg.findIndex((v, i) => v === 0xff && jpeg[i + 1] === 0xc0);
    const noSof = jpeg.slice();
    noSof[sof + 1] = 0xe5; // the SOF becomes an APP5 segment
    const p = await refusal(() => readHeader(noSof));
    expect([p.kind, p.message]).toEqual(['image-invalid', 'The JPEG is malformed: a scan starts before any frame header.']);
  });
});

describe('PNG: the IHDR the png crate decodes', () => {
  it('a second IHDR is refused before decoding', async () => {
    const png = withSecondIhdr(await encodePng(quadrants(16, 16)), { width: 50000, height: 50000 });
    expect(imageSize(png)).toMatchObject({ width: 16, height: 16 });
    const r = await intakeRefusal(png);
    expect([r.kind, r.status, r.decodes]).toEqual(['image-invalid', 422, 0]);
    expect(r.message).toMatch(/second IHDR/);
  });

  it('a CgBI (Apple) PNG, whose IHDR a generic reader still finds, is 415 before decoding', async () => {
    const png = await encodePng(quadrants(16, 16));
    const cgbi = new Uint8Array(png.length + 16);
    cgbi.set(png.subarray(0, 8));
    cgbi.set([0, 0, 0, 4, 0x43, 0x67, 0x42, 0x49, 0x50, 0, 0x20, 0x02, 0, 0, 0, 0], 8);
    cgbi.set(png.subarray(8), 24);
    expect(imageSize(cgbi)).toMatchObject({ width: 16, height: 16 });
    const r = await intakeRefusal(cgbi);
    expect([r.kind, r.decodes]).toEqual(['image-unsupported', 0]);
  });
});

describe('WebP: the bitstream libwebp decodes, and its VP8X canvas', () => {
  it.each([['lossy', false], ['lossless', true]] as const)('an extended %s WebP whose canvas matches is read and decodes to that size', async (_, lossless) => {
    const unknown = new Uint8Array([...'ZZZZ'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const webp = asExtendedWebp(await encodeWebp(quadrants(40, 30), { lossless }), { width: 40, height: 30 }, [unknown]);
    expect(readHeader(webp)).toMatchObject({ width: 40, height: 30 });
    const decoded = await decoder.decode(webp, 'webp');
    expect([decoded.width, decoded.height]).toEqual([40, 30]);
  });

  it.each([[{ width: 100, height: 100 }], [{ width: 16000, height: 16000 }]])('a canvas that disagrees with the bitstream (%o) is refused before decoding', async (canvas) => {
    const webp = asExtendedWebp(await encodeWebp(quadrants(40, 30)), canvas);
    expect(imageSize(webp)).toMatchObject(canvas); // a generic reader takes the canvas
    const r = await intakeRefusal(webp);
    expect([r.kind, r.status, r.decodes]).toEqual(['image-invalid', 422, 0]);
    expect(r.message).toBe(`The WebP is malformed: the VP8X canvas is ${canvas.width}x${canvas.height} but the image bitstream is 40x30.`);
    // libwebp refuses the same file: the header check agrees with the decoder.
    expect((await refusal(decoder.decode(webp, 'webp'))).kind).toBe('image-invalid');
  });
});
