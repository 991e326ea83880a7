import { describe, expect, it } from 'vitest';
import JPEG_DEC from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import WEBP_DEC from '@jsquash/webp/codec/dec/webp_dec.wasm';
import PNG_WASM from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import { createDecoder, type WasmModules } from '../../shared/image/decode';
import {
  BLUE, GREEN, RED, WHITE, encodeJpeg, encodePng, encodeWebp, handPng, makeImage, near, pixel, quadrantColours, quadrants,
} from '../support/images';
import { problemOf } from '../support/problem-of';

const decoder = imageDecoder();

describe('decoding each format', () => {
  const src = quadrants(64, 32);

  it('JPEG: size and quadrant colours', async () => {
    const img = await decoder.decode(await encodeJpeg(src), 'jpeg');
    expect([img.width, img.height]).toEqual([64, 32]);
    const [tl, tr, bl, br] = quadrantColours(img);
    expect(near(tl, RED) && near(tr, GREEN) && near(bl, BLUE) && near(br, WHITE), JSON.stringify([tl, tr, bl, br])).toBe(true);
  });

  it('PNG (jSquash-encoded RGBA): exact pixels, alpha kept', async () => {
    const withAlpha = makeImage(3, 2, (x, y) => [x * 100, y * 200, 7, 50 + x]);
    const img = await decoder.decode(await encodePng(withAlpha), 'png');
    expect(img.width).toBe(3);
    expect(Array.from(img.data)).toEqual(Array.from(withAlpha.data));
  });

  it('PNG written by hand: greyscale and RGB expand to RGBA', async () => {
    const grey = await decoder.decode(await handPng({ width: 2, height: 2, colorType: 0, rows: [[0, 50], [100, 255]] }), 'png');
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 255, 50, 50, 50, 255, 100, 100, 100, 255, 255, 255, 255, 255]);
    const rgb = await decoder.decode(await handPng({ width: 2, height: 1, colorType: 2, rows: [[1, 2, 3, 4, 5, 6]] }), 'png');
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('WebP lossless: exact pixels', async () => {
    const img = await decoder.decode(await encodeWebp(src, { lossless: true }), 'webp');
    expect([img.width, img.height]).toEqual([64, 32]);
    expect(Array.from(img.data)).toEqual(Array.from(src.data));
  });

  it('WebP lossy: quadrant colours', async () => {
    const img = await decoder.decode(await encodeWebp(src, { quality: 90 }), 'webp');
    const [tl, tr, bl, br] = quadrantColours(img);
    expect(near(tl, RED, 12) && near(tr, GREEN, 12) && near(bl, BLUE, 12) && near(br, WHITE, 12), JSON.stringify([tl, tr, bl, br])).toBe(true);
  });
});

describe('damaged files are image-invalid, and the decoder keeps working', () => {
  const src = quadrants(64, 32);

  it('truncated JPEG (libjpeg would fill grey) is refused', async () => {
    const jpeg = await encodeJpeg(src);
    const p = await problemOf(decoder.decode(jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), 'jpeg'));
    expect(p.kind).toBe('image-invalid');
    expect(p.message).toMatch(/truncated/);
  });

  it('JPEG with a corrupt Huffman table names the libjpeg error', async () => {
    const jpeg = (await encodeJpeg(src)).slice();
    const dht = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc4);
    jpeg.fill(0xff, dht + 5, dht + 21); // 16 code-length counts of 255: an impossible table
    const p = await problemOf(decoder.decode(jpeg, 'jpeg'));
    expect(p.kind).toBe('image-invalid');
    expect(p.message).toMatch(/JPEG could not be decoded: .*Huffman/i);
    const again = await decoder.decode(await encodeJpeg(src), 'jpeg');
    expect(near(pixel(again, 5, 5), RED)).toBe(true);
  });

  it('truncated and corrupt PNG', async () => {
    const png = await encodePng(src);
    expect((await problemOf(decoder.decode(png.subarray(0, png.length - 40), 'png'))).kind).toBe('image-invalid');
    const bad = png.slice();
    bad.fill(0x42, 60, 120); // inside IDAT: checksum and deflate both break
    expect((await problemOf(decoder.decode(bad, 'png'))).kind).toBe('image-invalid');
    const ok = await decoder.decode(png, 'png');
    expect(pixel(ok, 63, 31)).toEqual(WHITE);
  });

  it('truncated and corrupt WebP', async () => {
    const webp = await encodeWebp(src, { quality: 80 });
    expect((await problemOf(decoder.decode(webp.subarray(0, Math.floor(webp.length / 2)), 'webp'))).kind).toBe('image-invalid');
    const bad = webp.slice();
    bad.fill(0, 20, 40);
    expect((await problemOf(decoder.decode(bad, 'webp'))).kind).toBe('image-invalid');
    const ok = await decoder.decode(webp, 'webp');
    expect(near(pixel(ok, 5, 5), RED, 12)).toBe(true);
  });
});

describe('codec start-up', () => {
  it('a failed start is retried on the next decode', async () => {
    let calls = 0;
    const modules = {
      get jpeg() {
        calls++;
        return calls === 1 ? WEBP_DEC : JPEG_DEC; // wrong module first: instantiation fails
      },
      png: JPEG_DEC,
      webp: WEBP_DEC,
    } as WasmModules;
    const d = createDecoder(modules);
    const jpeg = await encodeJpeg(quadrants(16, 16));
    await expect(d.decode(jpeg, 'jpeg')).rejects.toThrow();
    const img = await d.decode(jpeg, 'jpeg');
    expect([img.width, img.height, calls]).toEqual([16, 16, 2]);
  });

  it('an instance is kept across successes and replaced after a failure (a failed decode leaks in its heap)', async () => {
    const starts = { jpeg: 0, png: 0 };
    const d = createDecoder({
      get jpeg() { starts.jpeg++; return JPEG_DEC; },
      get png() { starts.png++; return PNG_WASM; },
      webp: WEBP_DEC,
    });
    const src = quadrants(16, 16);
    const [jpeg, png] = [await encodeJpeg(src), await encodePng(src)];
    const badPng = png.slice().fill(0x42, 40, 60);
    const badJpeg = jpeg.slice();
    const dht = badJpeg.findIndex((b, i) => b === 0xff && badJpeg[i + 1] === 0xc4);
    badJpeg.fill(0xff, dht + 5, dht + 21);
    await d.decode(jpeg, 'jpeg');
    await d.decode(jpeg, 'jpeg');
    await d.decode(png, 'png');
    await d.decode(png, 'png');
    expect(starts).toEqual({ jpeg: 1, png: 1 });
    await expect(d.decode(badJpeg, 'jpeg')).rejects.toThrow(/could not be decoded/);
    await expect(d.decode(badPng, 'png')).rejects.toThrow('The PNG could not be decoded: corrupt or truncated data.');
    expect(pixel(await d.decode(png, 'png'), 15, 15)).toEqual(WHITE);
    expect(near(pixel(await d.decode(jpeg, 'jpeg'), 0, 0), RED)).toBe(true);
    expect(starts).toEqual({ jpeg: 2, png: 2 });
  });
});
