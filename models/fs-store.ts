/// <reference types="node" />
/**
 * A local folder as an ObjectStore, so `models pull` is the same verified cache-through as the Worker's
 * (origin -> verify -> store). The folder's manifest.json records every stored file's hash in the format the
 * bucket's published manifest uses, so a pulled folder can be published as it is.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PUBLISHED_MANIFEST_KEY, type PublishedManifest } from '../shared/store/model-store';
import type { ObjectStore } from '../shared/store/object-store';

export async function readFolderManifest(dir: string): Promise<PublishedManifest> {
  try {
    return JSON.parse(await readFile(join(dir, PUBLISHED_MANIFEST_KEY), 'utf8')) as PublishedManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { files: {} };
    throw e;
  }
}

export function folderObjectStore(dir: string): ObjectStore {
  return {
    kind: 'folder',
    location: `folder ${dir}`,
    async get(key) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(dir, key)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      const sha256 = key === PUBLISHED_MANIFEST_KEY ? undefined : (await readFolderManifest(dir)).files[key]?.sha256;
      return { bytes, sha256 };
    },
    async put(key, bytes, sha256) {
      await mkdir(dirname(join(dir, key)), { recursive: true });
      await writeFile(join(dir, key), bytes);
      const manifest = await readFolderManifest(dir);
      manifest.files[key] = { sha256, bytes: bytes.length };
      await writeFile(join(dir, PUBLISHED_MANIFEST_KEY), `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}
