/** The Images-binding Downscaler through the real (Miniflare, sharp-backed) binding of wrangler.toml. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import { imagesDownscaler } from '../../functions/api/recognize/image-downscaler';
import { intakeImage, readHeader, DEFAULT_INTAKE_OPTIONS } from '../../shared/image/intake';
import { BLUE, GREEN, RED, WHITE, encodeJpeg, near, quadrantColours, quadrants, withOrientation } from '../support/images';

const IMAGES = (env as unknown as { IMAGES: ImagesBinding }).IMAGES;
const decoder = imageDecoder();
const colours = (q: number[][], expected: number[][]) => expect(q.every((c, i) => near(c, expected[i], 12)), JSON.stringify(q)).toBe(true);

describe('Images binding', () => {
  it('applies EXIF orientation by itself (why intake clears the tag before calling it)', async () => {
    const jpeg = withOrientation(await encodeJpeg(quadrants(64, 32)), 6);
    const out = await IMAGES.input(new Blob([jpeg]).stream()).output({ format: 'image/png' });
    const png = new Uint8Array(await out.response().arrayBuffer());
    const img = await decoder.decode(png, readHeader(png).format);
    expect([img.width, img.height]).toEqual([32, 64]);
    colours(quadrantColours(img), [BLUE, RED, WHITE, GREEN]); // [[R,G],[B,W]] turned clockwise
  });

  it('imagesDownscaler returns a PNG with the long side at maxSide', async () => {
    const jpeg = await encodeJpeg(quadrants(2000, 1000), 90);
    const small = await imagesDownscaler(IMAGES).downscale(jpeg, 1024);
    expect(readHeader(small)).toEqual({ format: 'png', width: 1024, height: 512, orientation: 1 });
  });

  it('a 3 MP photo with orientation 6 through intake: platform shrinks, intake rotates once', async () => {
    const jpeg = withOrientation(await encodeJpeg(quadrants(2048, 1536), 90), 6);
    const { image, timings_ms } = await intakeImage({ kind: 'bytes', bytes: jpeg }, DEFAULT_INTAKE_OPTIONS, {
      decoder,
      downscaler: imagesDownscaler(IMAGES),
    });
    expect([image.width, image.height, image.format]).toEqual([1536, 2048, 'jpeg']);
    expect([image.pixels.width, image.pixels.height, image.scale]).toEqual([768, 1024, 0.5]);
    colours(quadrantColours(image.pixels), [BLUE, RED, WHITE, GREEN]);
    expect(timings_ms.downscale).toBeGreaterThan(0);
  });
});
