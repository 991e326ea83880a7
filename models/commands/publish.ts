/**
 * `models publish [ids] [--dir D] [--endpoint URL] [--bucket B] [--region R]`: verified local files, then the
 * merged manifest.json of hashes, to R2 (its S3 API: https://<account>.r2.cloudflarestorage.com) or any S3 store.
 * Credentials only from S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, never from the command line.
 */
import { PUBLISHED_MANIFEST_KEY, type PublishedManifest } from '../../shared/store/model-store';
import { s3ObjectStore, type S3Config } from '../../shared/store/s3';
import { sha256Hex } from '../../shared/store/sha256';
import { type Common, checkLocalFile, selectEntries } from './common';

export async function publish(c: Common, cfg: S3Config, log: (line: string) => void): Promise<void> {
  const bucket = s3ObjectStore(cfg);
  const entries = await selectEntries(c);
  // check everything before uploading anything: a half-published set is worse than none
  const files = [];
  for (const entry of entries) {
    for (const file of entry.files) {
      const r = await checkLocalFile(c.dir, file);
      if (r.status !== 'ok') throw new Error(`not publishing: ${entry.id} ${file.key} is ${r.status}${r.status === 'mismatch' ? ` (expected ${r.expected}, got ${r.actual})` : ''}`);
      files.push({ entry, key: file.key, data: r.data!, sha256: r.actual! });
    }
  }
  const existing = await bucket.get(PUBLISHED_MANIFEST_KEY);
  const manifest: PublishedManifest = existing ? JSON.parse(new TextDecoder().decode(existing.bytes)) : { files: {} };
  for (const f of files) {
    await bucket.put(f.key, f.data, f.sha256);
    manifest.files[f.key] = { sha256: f.sha256, bytes: f.data.length };
    log(`published ${f.entry.id}: ${f.key} (${f.data.length} bytes) to ${bucket.location}`);
  }
  const body = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await bucket.put(PUBLISHED_MANIFEST_KEY, body, await sha256Hex(body));
  log(`updated ${PUBLISHED_MANIFEST_KEY} in ${bucket.location} (${Object.keys(manifest.files).length} files)`);
}
