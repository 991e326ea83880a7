/**
 * Gets verified model bytes. Order: the bucket (R2 or S3) if configured; on a miss, the origin, whose bytes are
 * verified and then written to the bucket (cache-through). Bytes whose SHA-256 differs from the pinned one are
 * never used or stored. Concurrent cold loads of one file share one download.
 */
import { ProblemError } from '../problems';
import type { ModelEntry, ModelFile } from '../onnx/manifest-types';
import { urlForDisplay } from '../net-failure';
import { describeStoreFailure } from './failure';
import type { ObjectStore } from './object-store';
import type { OriginSource } from './origin';
import { sha256Hex } from './sha256';
import { SingleFlight } from './single-flight';

/** The bucket key `models publish` writes: hashes of every published file, for entries the code has not pinned. */
export const PUBLISHED_MANIFEST_KEY = 'manifest.json';

export interface PublishedManifest {
  files: Record<string, { sha256: string; bytes: number }>;
}

export interface ModelStoreOptions {
  bucket?: ObjectStore;
  origin?: OriginSource;
  /** Accept a file with no pinned hash and record the hash it arrived with (MODEL_TRUST_ON_FIRST_USE). */
  trustOnFirstUse?: boolean;
}

export interface StoreDescription {
  kind: ObjectStore['kind'] | 'origin';
  bucket: string | null;
  origin: string | null;
  trust_on_first_use: boolean;
}

export class ModelStore {
  private flights = new SingleFlight<Uint8Array>();
  private published?: Promise<PublishedManifest['files']>;
  /** Downloads from the origin, for status and tests (the point of single-flight is that this stays low). */
  originFetches = 0;

  constructor(private readonly opts: ModelStoreOptions) {
    if (!opts.bucket && !opts.origin) throw new Error('a model store needs a bucket, an origin, or both');
  }

  describe(): StoreDescription {
    return {
      kind: this.opts.bucket?.kind ?? 'origin',
      bucket: this.opts.bucket?.location ?? null,
      origin: this.opts.origin?.description ?? null,
      trust_on_first_use: !!this.opts.trustOnFirstUse,
    };
  }

  load(entry: ModelEntry, file: ModelFile): Promise<Uint8Array> {
    return this.flights.run(file.key, () => this.loadOnce(entry, file));
  }

  private async loadOnce(entry: ModelEntry, file: ModelFile): Promise<Uint8Array> {
    const pinned = file.sha256 ?? (await this.publishedHash(file.key));
    const { bucket, origin } = this.opts;
    if (bucket) {
      const hit = await this.guard(entry, `reading ${file.key} from ${bucket.location}`, () => bucket.get(file.key));
      if (hit) {
        const expected = pinned ?? (this.opts.trustOnFirstUse ? hit.sha256 ?? null : null);
        if (!expected && !this.opts.trustOnFirstUse) throw unpinned(entry, file);
        await verify(entry, file, hit.bytes, expected, bucket.location, false);
        return hit.bytes;
      }
    }
    const url = origin?.locate(file);
    if (!origin || !url) {
      throw new ProblemError('model-store-failed', `Model "${entry.id}": ${file.key} is not in ${bucket?.location ?? 'any bucket'} and has no origin to fetch it from.`, { extensions: { model: entry.id, key: file.key } });
    }
    if (!pinned && !this.opts.trustOnFirstUse) throw unpinned(entry, file); // before spending a download on it
    this.originFetches++;
    const bytes = await origin.fetch(entry, file);
    const actual = await verify(entry, file, bytes, pinned, urlForDisplay(url), !!bucket);
    if (bucket) await this.guard(entry, `storing ${file.key} in ${bucket.location}`, () => bucket.put(file.key, bytes, actual));
    return bytes;
  }

  private publishedHash(key: string): Promise<string | null> {
    const bucket = this.opts.bucket;
    if (!bucket) return Promise.resolve(null);
    if (!this.published) {
      const p = bucket.get(PUBLISHED_MANIFEST_KEY).then((o) => (o ? (JSON.parse(new TextDecoder().decode(o.bytes)) as PublishedManifest).files : {}));
      p.catch(() => { if (this.published === p) this.published = undefined; });
      this.published = p;
    }
    return this.published.then((files) => files[key]?.sha256 ?? null, () => null);
  }

  private async guard<T>(entry: ModelEntry, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof ProblemError) throw e;
      throw new ProblemError('model-store-failed', `Model "${entry.id}": ${what} failed: ${describeStoreFailure(e)}.`, { extensions: { model: entry.id }, cause: e });
    }
  }
}

function unpinned(entry: ModelEntry, file: ModelFile): ProblemError {
  return new ProblemError('model-integrity', `Model "${entry.id}": ${file.key} has no pinned SHA-256 (the manifest entry is unverified), so it is not used. Pin it with \`npm run models -- pull ${entry.id} --trust-on-first-use\` and publish, or set MODEL_TRUST_ON_FIRST_USE=true.`, {
    extensions: { model: entry.id, key: file.key },
  });
}

/** Returns the actual hash; throws model-integrity naming the model and both hashes on a mismatch. */
async function verify(entry: ModelEntry, file: ModelFile, bytes: Uint8Array, expected: string | null, source: string, wouldStore: boolean): Promise<string> {
  const actual = await sha256Hex(bytes);
  if (expected && actual !== expected.toLowerCase()) {
    throw new ProblemError('model-integrity', `Model "${entry.id}": ${file.key} from ${source} has SHA-256 ${actual} (${bytes.length} bytes) but ${expected} is pinned; the file was not used${wouldStore ? ' or stored' : ''}.`, {
      extensions: { model: entry.id, key: file.key, source, expected_sha256: expected, actual_sha256: actual },
    });
  }
  return actual;
}
