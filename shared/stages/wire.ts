/**
 * The stages' HTTP wire format (a Node host, or any Worker's HTTP face): JSON with the decoded image
 * as base64 RGBA, so the host does no decoding and sees exactly the pixels the api saw. RPC over a
 * service binding passes the same objects structured-cloned instead.
 */
import { z } from 'zod';
import type { RgbaImage } from '../image/types';
import { base64ToBytes, bytesToBase64 } from '../base64';

export const WireImage = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  rgba: z.string().min(1),
});

export const WireBox = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() });

export const PrepareBody = z.object({ image: WireImage, image_key: z.string().min(1) });
export const ExpressionsBody = PrepareBody.extend({ expressions: z.array(z.string()) });
export const SegmentBody = PrepareBody.extend({
  boxes: z.array(WireBox),
  output: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
});

export function imageToWire(img: RgbaImage): z.infer<typeof WireImage> {
  return { width: img.width, height: img.height, rgba: bytesToBase64(img.data) };
}

export function imageFromWire(w: z.infer<typeof WireImage>): RgbaImage {
  const data = base64ToBytes(w.rgba);
  if (data.length !== w.width * w.height * 4) throw new RangeError(`image has ${data.length} bytes, ${w.width}x${w.height} RGBA needs ${w.width * w.height * 4}`);
  return { width: w.width, height: w.height, data };
}
