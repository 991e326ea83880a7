/// <reference types="node" />
/**
 * An RGB PNG with a gradient, encoded in Node (node:zlib) for tests and measurements that run outside workerd (the
 * product's PNG codec is for workerd). `seed` shifts the colours, so each seed is a different image (and image key).
 */
import { crc32, deflateSync } from 'node:zlib';

export function gradientPng(w: number, h: number, seed = 0): Uint8Array {
  const rows = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rows.set([(x * 2 + seed) % 256, (y * 3) % 256, (128 + seed) % 256], y * (1 + 3 * w) + 1 + 3 * x);
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr.set([8, 2, 0, 0, 0], 8);
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]));
}
