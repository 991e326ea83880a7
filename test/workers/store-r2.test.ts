/**
 * Loading models from the R2 binding (miniflare's local R2, isolated per test file): a seeded file is verified
 * and used, a corrupted one is refused naming both hashes, and a miss is filled by cache-through.
 */
import { env as workerEnv } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildFixture, fixtureKey } from '../../models/fixtures/index';
import { createModelRuntime } from '../../models/runtime-from-env';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { sha256Hex } from '../../shared/store/sha256';
import { expectProblem, textExpected, textFeeds, visionFeeds } from '../helpers/model-fixtures';

// the R2 binding from wrangler.toml (the project declares no typed Env yet)
const env = workerEnv as unknown as { MODELS: R2Bucket };

const R2_FIXTURES = { MODEL_SET: 'fixtures', MODEL_STORE: 'r2', MODELS: env.MODELS };

describe('model store: R2 binding', () => {
  it('loads a seeded, verified file from R2 and runs it without going to the origin', async () => {
    await env.MODELS.put(fixtureKey('mobileclip-s0-text'), buildFixture('mobileclip-s0-text'));
    const rt = createModelRuntime(R2_FIXTURES, workerdOrt);
    const out = await rt.run('mobileclip-s0-text', textFeeds([49406, 7, 7, 49407]));
    expect(Array.from(out.text_embeds.data as Float32Array)).toEqual(textExpected([49406, 7, 7, 49407]));
    expect(rt.describe().store).toMatchObject({ kind: 'r2', bucket: 'R2 binding MODELS' });
    expect(rt.store.originFetches).toBe(0);
  });

  it('refuses a corrupted file in R2, naming the model and both hashes, and does not use it', async () => {
    const good = buildFixture('mobileclip-s0-vision');
    const bad = good.slice();
    bad[bad.length - 1] ^= 0xff;
    await env.MODELS.put(fixtureKey('mobileclip-s0-vision'), bad);
    const rt = createModelRuntime(R2_FIXTURES, workerdOrt);
    const [goodHash, badHash] = [await sha256Hex(good), await sha256Hex(bad)];
    const p = await expectProblem(rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0)), 'model-integrity', /Model "mobileclip-s0-vision"/, new RegExp(`SHA-256 ${badHash}`), new RegExp(`${goodHash} is pinned`), /not used/);
    expect(p.status).toBe(502);
    expect(p.extensions).toMatchObject({ expected_sha256: goodHash, actual_sha256: badHash });
    expect((await rt.list()).find((m) => m.id === 'mobileclip-s0-vision')).toMatchObject({ state: 'failed', loaded: false });
    // the corrupted object is left for a human to inspect, not silently replaced
    expect(await sha256Hex(new Uint8Array(await (await env.MODELS.get(fixtureKey('mobileclip-s0-vision')))!.arrayBuffer()))).toBe(badHash);
  });

  it('fills a miss from the origin (here the fixture generator) and stores the verified file with its hash', async () => {
    const key = fixtureKey('sam-decoder-b');
    expect(await env.MODELS.head(key)).toBeNull();
    const rt = createModelRuntime(R2_FIXTURES, workerdOrt);
    await rt.load('sam-decoder-b');
    const stored = await env.MODELS.get(key);
    expect(stored).not.toBeNull();
    expect(stored!.customMetadata?.sha256).toBe(await sha256Hex(buildFixture('sam-decoder-b')));
  });
});
