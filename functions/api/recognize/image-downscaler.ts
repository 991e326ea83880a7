/**
 * The Downscaler over the Cloudflare Images binding: the platform decodes and shrinks the photo
 * outside the isolate's 128 MB, so the isolate only decodes the small result.
 *
 * Orientation: the binding auto-rotates by EXIF (locally through sharp's autoOrient; Cloudflare
 * documents the same), and intake clears the EXIF orientation before calling, so the result is the
 * stored frame either way and intake applies the rotation itself (test/workers/image-downscale.test.ts).
 * PNG output: lossless, so the only resampling the pixels see is the platform's one.
 */
import type { Downscaler } from '../../../shared/image/types';

export function imagesDownscaler(images: ImagesBinding): Downscaler {
  return {
    async downscale(bytes: Uint8Array, maxSide: number): Promise<Uint8Array> {
      const result = await images
        .input(new Blob([bytes]).stream())
        .transform({ width: maxSide, height: maxSide, fit: 'scale-down' })
        .output({ format: 'image/png' });
      return new Uint8Array(await result.response().arrayBuffer());
    },
  };
}
