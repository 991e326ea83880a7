/**
 * Model files in the page, through the project's own ModelStore (shared/store/model-store.ts), so the rules are the
 * server's: every file is checked against its SHA-256 (crypto.subtle) before use, a miss is fetched from the API
 * (GET /v1/models/{id}/files/{name}) and stored only once verified. The "bucket" is the browser's Cache API, and
 * its manifest.json is the server's vision manifest, which pins the tokenizer files the code does not.
 */
import type { VisionManifest } from '../../../shared/api/model-files';
import { PUBLISHED_MANIFEST_KEY, ModelStore, type PublishedManifest } from '../../../shared/store/model-store';
import type { ObjectStore } from '../../../shared/store/object-store';
import type { OriginSource } from '../../../shared/store/origin';
import { ProblemError } from '../../../shared/problems';

export const MODEL_CACHE = 'gmner-models-v1';

/** Cache entries are keyed by file URL and hash, so a new file under the same name is never taken for the old one. */
const cacheKey = (origin: string, f: VisionManifest['files'][string]) => `${origin}${f.url}?sha256=${f.sha256}`;

export function cacheApiStore(origin: string, manifest: VisionManifest, caches: CacheStorage = globalThis.caches): ObjectStore {
  const published: PublishedManifest = { files: Object.fromEntries(Object.entries(manifest.files).map(([k, f]) => [k, { sha256: f.sha256, bytes: f.bytes }])) };
  const fileOf = (key: string) => {
    const f = manifest.files[key];
    if (!f) throw new Error(`${key} is not in the vision manifest`);
    return f;
  };
  return {
    kind: 'folder',
    location: `the browser's Cache API (${MODEL_CACHE})`,
    async get(key) {
      if (key === PUBLISHED_MANIFEST_KEY) return { bytes: new TextEncoder().encode(JSON.stringify(published)) };
      const hit = await (await caches.open(MODEL_CACHE)).match(cacheKey(origin, fileOf(key)));
      return hit ? { bytes: new Uint8Array(await hit.arrayBuffer()) } : null;
    },
    async put(key, bytes, sha256) {
      const headers = { 'content-type': 'application/octet-stream', etag: `"${sha256}"` };
      await (await caches.open(MODEL_CACHE)).put(cacheKey(origin, fileOf(key)), new Response(bytes as BodyInit, { headers }));
    },
  };
}

export function apiOrigin(origin: string, manifest: VisionManifest, apiKey: string, fetchFn: typeof fetch = (i, o) => fetch(i, o)): OriginSource {
  return {
    description: `the API at ${origin}`,
    locate: (file) => (manifest.files[file.key] ? origin + manifest.files[file.key].url : null),
    async fetch(entry, file) {
      const url = origin + manifest.files[file.key].url;
      const res = await fetchFn(url, { headers: { authorization: `Bearer ${apiKey}` } });
      if (!res.ok) {
        await res.body?.cancel();
        throw new ProblemError('model-store-failed', `Model "${entry.id}": ${url} answered HTTP ${res.status}.`, { extensions: { model: entry.id, url } });
      }
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

export function pageModelStore(origin: string, manifest: VisionManifest, apiKey: string): ModelStore {
  return new ModelStore({ bucket: cacheApiStore(origin, manifest), origin: apiOrigin(origin, manifest, apiKey) });
}
