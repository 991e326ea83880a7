import { describe, expect, it } from 'vitest';
import { readHeader, sniffFormat } from '../../shared/image/intake';
import { clearOrientation, jpegHasEnd } from '../../shared/image/jpeg';
import { encodeJpeg, encodePng, encodeWebp, handPng, quadrants, withOrientation } from '../support/images';
import { problemOfSync as problem } from '../support/problem-of';

describe('sniffFormat and readHeader', () => {
  const src = quadrants(40, 30);

  it('tells the three formats by their magic bytes and reads the size', async () => {
    for (const [format, bytes] of [['jpeg', await encodeJpeg(src)], ['png', await encodePng(src)], ['webp', await encodeWebp(src)]] as const) {
      expect(sniffFormat(bytes)).toBe(format);
      expect(readHeader(bytes)).toEqual({ format, width: 40, height: 30, orientation: 1 });
    }
  });

  it('reads EXIF orientation in either byte order', async () => {
    const jpeg = await encodeJpeg(src);
    expect(readHeader(withOrientation(jpeg, 6)).orientation).toBe(6);
    expect(readHeader(withOrientation(jpeg, 8, 'II')).orientation).toBe(8);
  });

  it('refuses other formats (415) and names them when it can', () => {
    const gif = new Uint8Array([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([10, 0, 10, 0, 0, 0, 0]));
    const p = problem(() => readHeader(gif));
    expect([p.kind, p.status]).toEqual(['image-unsupported', 415]);
    expect(p.message).toMatch(/looks like GIF/);
    expect(problem(() => readHeader(new TextEncoder().encode('hello, not an image'))).kind).toBe('image-unsupported');
  });

  it('animated WebP is refused as unsupported', () => {
    // RIFF/WEBP with a VP8X chunk (10 bytes): flags 0x02 = animation, canvas 100x50 stored minus one.
    const ascii = (t: string) => [...t].map((c) => c.charCodeAt(0));
    const webp = new Uint8Array([...ascii('RIFF'), 22, 0, 0, 0, ...ascii('WEBPVP8X'), 10, 0, 0, 0, 0x02, 0, 0, 0, 99, 0, 0, 49, 0, 0]);
    const p = problem(() => readHeader(webp));
    expect([p.kind, p.message]).toEqual(['image-unsupported', 'Animated WebP is not supported; send a still image.']);
  });

  it('empty input and unreadable headers are image-invalid', async () => {
    expect(problem(() => readHeader(new Uint8Array(0))).kind).toBe('image-invalid');
    const jpeg = await encodeJpeg(src);
    expect(problem(() => readHeader(jpeg.subarray(0, 30))).kind).toBe('image-invalid'); // cut before SOF
  });

  it('a bomb header is read without decoding (50000x50000 PNG of a few bytes)', async () => {
    const bomb = await handPng({ width: 50000, height: 50000, colorType: 2, rows: [[0, 0, 0]] });
    expect(bomb.length).toBeLessThan(100);
    expect(readHeader(bomb)).toMatchObject({ width: 50000, height: 50000 });
  });
});

describe('JPEG byte-level helpers', () => {
  it('clearOrientation changes exactly the Orientation value', async () => {
    const jpeg = await encodeJpeg(quadrants(16, 16));
    for (const order of ['MM', 'II'] as const) {
      const tagged = withOrientation(jpeg, 6, order);
      const cleared = clearOrientation(tagged);
      expect(readHeader(cleared).orientation).toBe(1);
      const diff = Array.from(tagged.keys()).filter((i) => tagged[i] !== cleared[i]);
      expect(diff.length).toBe(1); // 6 -> 1 differs in the low byte only
      expect(readHeader(tagged).orientation).toBe(6); // the input is not modified
    }
    expect(clearOrientation(jpeg)).toBe(jpeg); // nothing to clear: same array, no copy
  });

  it('jpegHasEnd finds EOI after the scan, not before it', async () => {
    const jpeg = await encodeJpeg(quadrants(16, 16));
    expect(jpegHasEnd(jpeg)).toBe(true);
    expect(jpegHasEnd(jpeg.subarray(0, jpeg.length - 2))).toBe(false);
    // Trailing bytes after EOI (some cameras append data) are fine.
    expect(jpegHasEnd(new Uint8Array([...jpeg, 1, 2, 3]))).toBe(true);
  });
});
