/** Inline images: plain base64 or a data: URL, held to the same byte cap as fetched ones. */
import { base64ToBytes } from '../base64';
import { ProblemError } from '../problems';

export interface InlineImage {
  bytes: Uint8Array;
  /** The media type a data: URL declared, if any. */
  media_type?: string;
}

const DATA_URL = /^data:([^,]*?),/i;

export function decodeBase64Image(data: string, maxBytes: number): InlineImage {
  let payload = data;
  let media_type: string | undefined;
  const m = DATA_URL.exec(data.slice(0, 256));
  if (m) {
    const params = m[1].split(';').map((p) => p.trim());
    if (!params.slice(1).some((p) => p.toLowerCase() === 'base64')) {
      throw new ProblemError('image-invalid', 'image.data is a data: URL without ";base64"; only base64 data URLs are accepted.');
    }
    media_type = params[0] ? params[0].toLowerCase() : undefined;
    payload = data.slice(m[0].length);
  }
  // Line-wrapped base64 is common; URL-safe base64 is accepted too.
  payload = payload.replace(/[\s]+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const unpadded = payload.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(unpadded) || unpadded.length % 4 === 1) {
    throw new ProblemError('image-invalid', 'image.data is not valid base64.');
  }
  // Refuse by the decoded size before allocating it.
  const size = Math.floor((unpadded.length * 3) / 4);
  if (size > maxBytes) {
    throw new ProblemError('image-too-large', `The inline image is ${size} bytes, over the ${maxBytes}-byte limit.`, { extensions: { limit_bytes: maxBytes } });
  }
  if (size === 0) throw new ProblemError('image-invalid', 'image.data is empty.');
  return { bytes: base64ToBytes(unpadded), media_type };
}
