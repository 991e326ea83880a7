/**
 * The R2 binding as an ObjectStore. Typed structurally so that shared/ needs no Worker types and Node tooling
 * can pass miniflare's bucket.
 */
import type { ObjectStore } from './object-store';

export interface R2Like {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; customMetadata?: Record<string, string> } | null>;
  put(key: string, value: Uint8Array, options?: { customMetadata?: Record<string, string>; sha256?: string }): Promise<unknown>;
}

export function r2ObjectStore(bucket: R2Like, name = 'MODELS'): ObjectStore {
  return {
    kind: 'r2',
    location: `R2 binding ${name}`,
    async get(key) {
      const obj = await bucket.get(key);
      if (!obj) return null;
      return { bytes: new Uint8Array(await obj.arrayBuffer()), sha256: obj.customMetadata?.sha256 };
    },
    async put(key, bytes, sha256) {
      // `sha256` makes R2 itself reject the upload if the bytes were damaged on the way
      await bucket.put(key, bytes, { customMetadata: { sha256 }, sha256 });
    },
  };
}
