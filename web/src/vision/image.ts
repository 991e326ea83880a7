/**
 * The image as the stages get it, decoded by the browser: display orientation (EXIF applied), no colour-space
 * conversion (the server's decoders do none), full size (scale 1: no platform downscale in the page).
 */
import type { ImageFormat, IntakeImage } from '../../../shared/image/types';
import { sha256Hex } from '../../../shared/store/sha256';

function formatOf(b: Uint8Array): ImageFormat {
  if (b[0] === 0x89 && b[1] === 0x50) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (b[0] === 0x52 && b[8] === 0x57) return 'webp';
  throw new Error('the image is not a JPEG, PNG or WebP');
}

export async function pageIntake(blob: Blob): Promise<IntakeImage> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const format = formatOf(bytes);
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return {
    width, height, format, bytes: bytes.length, sha256: await sha256Hex(bytes), scale: 1,
    pixels: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
  };
}
