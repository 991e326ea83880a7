import { describe, expect, it } from 'vitest';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import { intakeImage, readHeader, DEFAULT_INTAKE_OPTIONS, type IntakeOptions, type IntakeSource } from '../../shared/image/intake';
import { applyOrientation } from '../../shared/image/orient';
import { fitLongSide, resize } from '../../shared/image/resize';
import type { Downscaler, ImageDecoder } from '../../shared/image/types';
import {
  BLUE, GREEN, RED, WHITE, encodeJpeg, encodePng, handPng, near, quadrantColours, quadrants, toBase64, withOrientation, withSofSize,
} from '../support/images';
import { problemOf as failure } from '../support/problem-of';

const decoder = imageDecoder();
const OPTS: IntakeOptions = { ...DEFAULT_INTAKE_OPTIONS };

/** Counts decodes, so a test can prove that a refusal happened before any decoding. */
function countingDecoder() {
  const calls: string[] = [];
  const d: ImageDecoder = { decode: (b, f) => (calls.push(f), decoder.decode(b, f)) };
  return { d, calls };
}

const hex = async (b: Uint8Array) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');

const colours = (q: number[][], expected: number[][], tol = 10) => expect(q.every((c, i) => near(c, expected[i], tol)), JSON.stringify(q)).toBe(true);

describe('intakeImage: bytes and base64', () => {
  it('a JPEG upload: display size, format, byte count, sha256, timings', async () => {
    const jpeg = await encodeJpeg(quadrants(64, 32));
    const { image, warnings, timings_ms } = await intakeImage({ kind: 'bytes', bytes: jpeg, media_type: 'image/jpeg' }, OPTS, { decoder });
    expect([image.width, image.height, image.format, image.bytes, image.scale]).toEqual([64, 32, 'jpeg', jpeg.length, 1]);
    expect(image.sha256).toBe(await hex(jpeg));
    expect([image.pixels.width, image.pixels.height]).toEqual([64, 32]);
    colours(quadrantColours(image.pixels), [RED, GREEN, BLUE, WHITE]);
    expect(warnings).toEqual([]);
    expect(Object.keys(timings_ms)).toEqual(expect.arrayContaining(['fetch', 'decode']));
  });

  // Stored [[R, G], [B, W]]; 3 turns it 180°, 6 a quarter clockwise, 8 a quarter counter-clockwise.
  it.each([
    [3, [64, 32], [WHITE, BLUE, GREEN, RED]],
    [6, [32, 64], [BLUE, RED, WHITE, GREEN]],
    [8, [32, 64], [GREEN, WHITE, RED, BLUE]],
  ])('EXIF orientation %i comes out rotated', async (o, size, expected) => {
    const jpeg = withOrientation(await encodeJpeg(quadrants(64, 32)), o);
    const { image } = await intakeImage({ kind: 'bytes', bytes: jpeg }, OPTS, { decoder });
    expect([image.width, image.height]).toEqual(size);
    expect([image.pixels.width, image.pixels.height]).toEqual(size);
    colours(quadrantColours(image.pixels), expected);
  });

  it('a PNG declared as image/jpeg is read as PNG, with a warning', async () => {
    const png = await encodePng(quadrants(8, 8));
    const { image, warnings } = await intakeImage({ kind: 'bytes', bytes: png, media_type: 'image/jpeg' }, OPTS, { decoder });
    expect(image.format).toBe('png');
    expect(image.pixels.data.subarray(0, 4)).toEqual(new Uint8Array(RED));
    expect(warnings).toEqual(['The image was declared as image/jpeg but its content is PNG; it was read as image/png.']);
  });

  it('base64, plain, line-wrapped and as a data: URL (whose type is also checked)', async () => {
    const png = await encodePng(quadrants(8, 8));
    const b64 = toBase64(png);
    const sources: IntakeSource[] = [
      { kind: 'base64', data: b64 },
      { kind: 'base64', data: b64.replace(/(.{60})/g, '$1\n') },
      { kind: 'base64', data: `data:image/webp;base64,${b64}` },
    ];
    const results = await Promise.all(sources.map((s) => intakeImage(s, OPTS, { decoder })));
    for (const r of results) expect([r.image.width, r.image.format, r.image.sha256]).toEqual([8, 'png', await hex(png)]);
    expect(results[2].warnings[0]).toMatch(/declared as image\/webp/);
  });

  it.each([
    ['data', 'not base64 at all!'],
    ['data', 'AAAAA'], // 5 characters: one too many for a whole byte group
    ['data', 'data:image/png,rawbytes'],
    ['data', ''],
  ])('invalid base64 is image-invalid (%s: %j)', async (_, data) => {
    const p = await failure(intakeImage({ kind: 'base64', data }, OPTS, { decoder }));
    expect([p.kind, p.status]).toEqual(['image-invalid', 422]);
  });

  it('the byte cap applies to base64 (before decoding it) and to uploads', async () => {
    const small = { ...OPTS, maxBytes: 100 };
    const b64 = toBase64(new Uint8Array(200));
    const p = await failure(intakeImage({ kind: 'base64', data: b64 }, small, { decoder }));
    expect([p.kind, p.status]).toEqual(['image-too-large', 413]);
    expect(p.message).toMatch(/200 bytes, over the 100-byte limit/);
    const q = await failure(intakeImage({ kind: 'bytes', bytes: new Uint8Array(101) }, small, { decoder }));
    expect(q.kind).toBe('image-too-large');
  });
});

describe('intakeImage: by URL through an injected fetch', () => {
  it('fetches, follows a redirect, and warns about a wrong Content-Type', async () => {
    const png = await encodePng(quadrants(8, 8));
    const fetchFn = async (url: string) =>
      url === 'https://cdn.example/a'
        ? new Response(null, { status: 302, headers: { location: '/b.jpg' } })
        : new Response(png, { headers: { 'content-type': 'image/jpeg; charset=binary' } });
    const { image, warnings, timings_ms } = await intakeImage({ kind: 'url', url: 'https://cdn.example/a' }, OPTS, { decoder, fetch: fetchFn });
    expect([image.format, image.width]).toEqual(['png', 8]);
    expect(warnings[0]).toMatch(/declared as image\/jpeg/);
    expect(timings_ms.fetch).toBeGreaterThanOrEqual(0);
  });

  it('refuses before fetching', async () => {
    let fetched = false;
    const p = await failure(intakeImage({ kind: 'url', url: 'https://127.0.0.1/x.png' }, OPTS, { decoder, fetch: async () => ((fetched = true), new Response('')) }));
    expect(p.kind).toBe('image-url-refused');
    expect(fetched).toBe(false);
  });
});

describe('intakeImage: limits before work', () => {
  it('a decompression bomb (tiny PNG claiming 50000x50000) is refused with 413 at once, nothing decoded', async () => {
    const bomb = await handPng({ width: 50000, height: 50000, colorType: 2, rows: [[0, 0, 0]] });
    const { d, calls } = countingDecoder();
    let downscaled = false;
    const downscaler: Downscaler = { downscale: async () => ((downscaled = true), new Uint8Array()) };
    const t0 = performance.now();
    const p = await failure(intakeImage({ kind: 'bytes', bytes: bomb }, OPTS, { decoder: d, downscaler }));
    expect(performance.now() - t0).toBeLessThan(50);
    expect([p.kind, p.status]).toEqual(['image-too-large', 413]);
    expect(p.message).toBe('The image is 50000x50000 (2500.0 MP), over the 40.0 MP limit.');
    expect([calls.length, downscaled]).toEqual([0, false]);
  });

  it('a JPEG whose SOF claims 60000x60000 is refused the same way', async () => {
    const jpeg = withSofSize(await encodeJpeg(quadrants(16, 16)), 60000, 60000);
    const { d, calls } = countingDecoder();
    const p = await failure(intakeImage({ kind: 'bytes', bytes: jpeg }, OPTS, { decoder: d }));
    expect([p.kind, calls.length]).toEqual(['image-too-large', 0]);
  });

  it('without a Downscaler, images over the isolate decode limit are refused and the detail says why', async () => {
    const jpeg = await encodeJpeg(quadrants(64, 32));
    const { d, calls } = countingDecoder();
    const p = await failure(intakeImage({ kind: 'bytes', bytes: jpeg }, { ...OPTS, maxIsolateDecodePixels: 2000 }, { decoder: d }));
    expect([p.kind, p.status, calls.length]).toEqual(['image-too-large', 413, 0]);
    expect(p.message).toMatch(/64x32 \(0\.0 MP\)\. Without an Images binding configured \(IMAGES\).*at most 0\.0 MP/);
    expect(p.extensions.limit_pixels).toBe(2000);
  });
});

/** Decodes, shrinks with resize.ts and re-encodes PNG; `autoRotate` also applies the EXIF tag it sees. */
function fakeDownscaler(autoRotate: boolean) {
  const seen: Uint8Array[] = [];
  const ds: Downscaler = {
    async downscale(bytes, maxSide) {
      seen.push(bytes);
      const h = readHeader(bytes);
      let img = await decoder.decode(bytes, h.format);
      if (autoRotate) img = applyOrientation(img, h.orientation);
      const fit = fitLongSide(img.width, img.height, maxSide);
      return encodePng(resize(img, fit.width, fit.height, 'bilinear'));
    },
  };
  return { ds, seen };
}

describe('intakeImage: platform downscaling', () => {
  const opts = { ...OPTS, workingMaxSide: 32 };

  for (const autoRotate of [false, true]) {
    it(`a big image is shrunk by the platform and rotated exactly once (platform ${autoRotate ? 'auto-rotates' : 'does not rotate'})`, async () => {
      const jpeg = withOrientation(await encodeJpeg(quadrants(64, 32)), 6);
      const { ds, seen } = fakeDownscaler(autoRotate);
      const { image, timings_ms } = await intakeImage({ kind: 'bytes', bytes: jpeg }, opts, { decoder, downscaler: ds });
      expect(readHeader(seen[0]).orientation).toBe(1); // the platform never sees the tag
      expect([image.width, image.height]).toEqual([32, 64]); // original, display frame
      expect([image.pixels.width, image.pixels.height, image.scale]).toEqual([16, 32, 0.5]);
      expect(image.sha256).toBe(await hex(jpeg)); // of the original bytes
      colours(quadrantColours(image.pixels), [BLUE, RED, WHITE, GREEN]);
      expect(timings_ms.downscale).toBeGreaterThanOrEqual(0);
    });
  }

  it('images within the working size are decoded directly', async () => {
    const { ds, seen } = fakeDownscaler(false);
    const { image } = await intakeImage({ kind: 'bytes', bytes: await encodePng(quadrants(32, 16)) }, opts, { decoder, downscaler: ds });
    expect([seen.length, image.scale, image.pixels.width]).toEqual([0, 1, 32]);
  });

  it('a platform failure falls back to the isolate when the image is small enough, with a warning', async () => {
    const ds: Downscaler = { downscale: async () => { throw new Error('ERROR 9412: not an image'); } };
    const png = await encodePng(quadrants(64, 32));
    const { image, warnings } = await intakeImage({ kind: 'bytes', bytes: png }, opts, { decoder, downscaler: ds });
    expect([image.pixels.width, image.scale]).toEqual([64, 1]);
    expect(warnings[0]).toMatch(/could not shrink the image \(ERROR 9412: not an image\)/);
    const p = await failure(intakeImage({ kind: 'bytes', bytes: png }, { ...opts, maxIsolateDecodePixels: 1000 }, { decoder, downscaler: ds }));
    expect([p.kind, p.message]).toEqual(['image-invalid', 'The image service could not read the 64x32 PNG: ERROR 9412: not an image.']);
  });

  it('a platform result larger than asked for is not decoded', async () => {
    const big = await encodePng(quadrants(64, 64));
    const { d, calls } = countingDecoder();
    const p = await failure(intakeImage({ kind: 'bytes', bytes: big }, opts, { decoder: d, downscaler: { downscale: async () => big } }));
    expect([p.kind, calls.length]).toEqual(['internal', 0]);
  });
});
