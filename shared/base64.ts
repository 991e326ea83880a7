/**
 * Bytes to and from standard base64 (RFC 4648 §4) with the platform's atob/btoa, which Workers, Node
 * and browsers all have. Every place that carries bytes as base64 (inline images, stage wire images,
 * PNGs for VLMs, API keys, webhook signatures) uses these two.
 */

/** Base64 of `bytes`, padded. */
export function bytesToBase64(bytes: Uint8Array | ArrayBuffer): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  // 32 KiB per fromCharCode call: one call per byte is slow on megabytes, one call for all overflows the argument limit.
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes of base64 `s`; throws (atob's InvalidCharacterError) when `s` is not base64. */
export function base64ToBytes(s: string): Uint8Array {
  const binary = atob(s);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
