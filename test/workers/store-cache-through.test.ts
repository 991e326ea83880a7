/**
 * Cache-through from a local HTTP origin (s3rver's bucket read anonymously over plain HTTP, as a file host)
 * into the R2 binding: verify, store, use; a corrupted origin file is neither used nor stored; concurrent cold
 * loads download once; unpinned files need trust-on-first-use.
 */
import { env as workerEnv } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildFixture, fixtureEntries, fixtureKey } from '../../models/fixtures/index';
import { createModelRuntime, modelStoreFromEnv } from '../../models/runtime-from-env';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { s3ObjectStore } from '../../shared/store/s3';
import { sha256Hex } from '../../shared/store/sha256';
import { S3_TEST } from '../setup/s3-config';
import { expectProblem, textExpected, textFeeds } from '../helpers/model-fixtures';

// the R2 binding from wrangler.toml (the project declares no typed Env yet)
const env = workerEnv as unknown as { MODELS: R2Bucket };

const originBucket = s3ObjectStore({ endpoint: S3_TEST.endpoint, bucket: S3_TEST.originBucket, region: S3_TEST.region, accessKeyId: S3_TEST.accessKeyId, secretAccessKey: S3_TEST.secretAccessKey });

/** A fresh folder on the origin; returns the MODEL_ORIGIN_BASE that serves it. */
async function origin(files: Record<string, Uint8Array>): Promise<string> {
  const prefix = crypto.randomUUID();
  for (const [key, bytes] of Object.entries(files)) await originBucket.put(`${prefix}/${key}`, bytes, await sha256Hex(bytes));
  return `${S3_TEST.endpoint}/${S3_TEST.originBucket}/${prefix}/`;
}

function countingFetch() {
  const urls: string[] = [];
  const f = ((input: RequestInfo | URL, init?: RequestInit) => { urls.push(String(input)); return fetch(input, init); }) as typeof fetch;
  return { urls, fetch: f };
}

const cacheThroughEnv = (base: string, extra: Record<string, unknown> = {}) => ({ MODEL_SET: 'fixtures', MODEL_STORE: 'r2', MODELS: env.MODELS, MODEL_ORIGIN_BASE: base, ...extra });

describe('cache-through: local origin -> verify -> R2 -> use', () => {
  it('downloads on a miss, stores the verified file in R2, then serves later loads from R2', async () => {
    const key = fixtureKey('mobileclip-s0-text');
    const base = await origin({ [key]: buildFixture('mobileclip-s0-text') });
    const net = countingFetch();
    const rt = createModelRuntime(cacheThroughEnv(base), workerdOrt, { fetch: net.fetch });
    const out = await rt.run('mobileclip-s0-text', textFeeds([5, 517]));
    expect(Array.from(out.text_embeds.data as Float32Array)).toEqual(textExpected([5, 517]));
    expect(net.urls).toEqual([base + key]);
    expect((await env.MODELS.get(key))?.customMetadata?.sha256).toBe(await sha256Hex(buildFixture('mobileclip-s0-text')));

    const again = createModelRuntime(cacheThroughEnv(base), workerdOrt, { fetch: net.fetch });
    await again.load('mobileclip-s0-text');
    expect(net.urls).toHaveLength(1); // the second isolate's load came from R2
  });

  it('refuses a corrupted origin file, names the model and both hashes, and stores nothing', async () => {
    const key = fixtureKey('mobilesam-encoder');
    const good = buildFixture('mobilesam-encoder');
    const bad = good.slice();
    bad[100] ^= 1;
    const base = await origin({ [key]: bad });
    const rt = createModelRuntime(cacheThroughEnv(base), workerdOrt);
    await expectProblem(rt.load('mobilesam-encoder'), 'model-integrity', /Model "mobilesam-encoder"/, new RegExp(`from ${base}${key}`), new RegExp(await sha256Hex(bad)), new RegExp(`${await sha256Hex(good)} is pinned`), /not used or stored/);
    expect(await env.MODELS.head(key)).toBeNull();
  });

  it('downloads once when concurrent cold loads race', async () => {
    const key = fixtureKey('owlvit-b32-image');
    const base = await origin({ [key]: buildFixture('owlvit-b32-image') });
    const net = countingFetch();
    const store = modelStoreFromEnv(cacheThroughEnv(base), { fetch: net.fetch });
    const [entry] = (await fixtureEntries()).filter((e) => e.id === 'owlvit-b32-image');
    const loads = await Promise.all(Array.from({ length: 6 }, () => store.load(entry, entry.files[0])));
    expect(new Set(loads).size).toBe(1);
    expect(net.urls).toHaveLength(1);
    expect(store.originFetches).toBe(1);
  });

  it('reports an origin error with the URL and status', async () => {
    const base = await origin({});
    const rt = createModelRuntime(cacheThroughEnv(base), workerdOrt);
    await expectProblem(rt.load('sam-decoder-a'), 'model-store-failed', new RegExp(`downloading ${base}fixtures/sam-decoder-a\\.onnx answered HTTP 404`));
  });

  it('refuses an unpinned file unless trust-on-first-use is on, which records the hash it arrived with', async () => {
    const [fixture] = (await fixtureEntries()).filter((e) => e.id === 'sam-decoder-b');
    const key = 'unpinned/sam-decoder-b.onnx';
    const entry = { ...fixture, files: [{ key, bytes: null, sha256: null, origin: null }] };
    const bytes = buildFixture('sam-decoder-b');
    const base = await origin({ [key]: bytes });
    const net = countingFetch();

    const strict = modelStoreFromEnv(cacheThroughEnv(base), { fetch: net.fetch });
    await expectProblem(strict.load(entry, entry.files[0]), 'model-integrity', /no pinned SHA-256/, /--trust-on-first-use/);
    expect(net.urls).toHaveLength(0); // refused before downloading

    const tofu = modelStoreFromEnv(cacheThroughEnv(base, { MODEL_TRUST_ON_FIRST_USE: 'true' }), { fetch: net.fetch });
    expect(await tofu.load(entry, entry.files[0])).toEqual(bytes);
    expect((await env.MODELS.get(key))?.customMetadata?.sha256).toBe(await sha256Hex(bytes));
  });
});
