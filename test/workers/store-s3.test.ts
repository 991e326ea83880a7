/**
 * Loading models from an S3-compatible store (s3rver on loopback, started by test/setup/s3.ts) through
 * @aws-sdk/client-s3 inside workerd, including the error paths that need the DOMParser polyfill.
 */
import { describe, expect, it } from 'vitest';
import { buildFixture, fixtureEntries, fixtureKey } from '../../models/fixtures/index';
import { createModelRuntime } from '../../models/runtime-from-env';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { ModelStore } from '../../shared/store/model-store';
import { s3ObjectStore } from '../../shared/store/s3';
import { sha256Hex } from '../../shared/store/sha256';
import { S3_TEST } from '../setup/s3-config';
import { decoderAFeeds, expectProblem, insideBox, positive } from '../helpers/model-fixtures';

const S3_ENV = {
  MODEL_SET: 'fixtures', MODEL_STORE: 's3', S3_ENDPOINT: S3_TEST.endpoint, S3_BUCKET: S3_TEST.modelsBucket,
  S3_REGION: S3_TEST.region, S3_ACCESS_KEY_ID: S3_TEST.accessKeyId, S3_SECRET_ACCESS_KEY: S3_TEST.secretAccessKey,
};
const bucket = () => s3ObjectStore({ endpoint: S3_TEST.endpoint, bucket: S3_TEST.modelsBucket, region: S3_TEST.region, accessKeyId: S3_TEST.accessKeyId, secretAccessKey: S3_TEST.secretAccessKey });

describe('model store: S3 API (s3rver)', () => {
  it('loads a published file through the S3 API, verifies it and runs it', async () => {
    const bytes = buildFixture('sam-decoder-a');
    await bucket().put(fixtureKey('sam-decoder-a'), bytes, await sha256Hex(bytes));
    const rt = createModelRuntime(S3_ENV, workerdOrt);
    const out = await rt.run('sam-decoder-a', decoderAFeeds([10, 10, 40, 30], 48, 64));
    expect(positive(out.masks.data as Float32Array, 0, 48 * 64)).toEqual(insideBox(48, 64, 1, [10, 10, 40, 30]));
    expect(rt.store.originFetches).toBe(0);
    expect(rt.describe().store).toMatchObject({ kind: 's3', bucket: `s3://${S3_TEST.modelsBucket} at ${S3_TEST.endpoint}` });
  });

  it('reports a missing key as a store failure (the NoSuchKey XML is parsed with the DOMParser polyfill)', async () => {
    const [entry] = (await fixtureEntries()).filter((e) => e.id === 'owlvit-b32-image');
    const store = new ModelStore({ bucket: bucket() });
    await expectProblem(store.load(entry, { ...entry.files[0], key: 'nowhere/missing.onnx' }), 'model-store-failed', /nowhere\/missing\.onnx is not in s3:\/\/gmner-models-test/, /no origin/);
    expect(typeof (globalThis as { DOMParser?: unknown }).DOMParser).toBe('function');
  });

  it('refuses a corrupted object in the bucket', async () => {
    const good = buildFixture('owlvit-b32-image');
    const bad = good.slice(0, good.length - 7);
    await bucket().put(fixtureKey('owlvit-b32-image'), bad, 'recorded-at-upload-but-wrong');
    const rt = createModelRuntime(S3_ENV, workerdOrt);
    await expectProblem(rt.load('owlvit-b32-image'), 'model-integrity', /owlvit-b32/, new RegExp(await sha256Hex(bad)), new RegExp(await sha256Hex(good)));
  });

  it('names the store when it cannot be reached', async () => {
    const rt = createModelRuntime({ ...S3_ENV, S3_ENDPOINT: 'http://127.0.0.1:9' }, workerdOrt);
    const p = await expectProblem(rt.load('mobileclip-s0-text'), 'model-store-failed', /reading fixtures\/mobileclip-s0-text\.onnx from s3:\/\/gmner-models-test at http:\/\/127\.0\.0\.1:9 failed: the store could not be reached \(the connection failed or was lost\)\.$/);
    expect(p.cause).toBeInstanceOf(Error); // workerd's own words, for the logs
  });

  it('treats a missing bucket as a store failure, not as a miss to fill from the origin', async () => {
    const rt = createModelRuntime({ ...S3_ENV, S3_BUCKET: 'no-such-bucket' }, workerdOrt);
    const p = await expectProblem(rt.load('mobileclip-s0-text'), 'model-store-failed', /reading fixtures\/mobileclip-s0-text\.onnx from s3:\/\/no-such-bucket .* failed: the bucket does not exist\.$/);
    expect((p.cause as Error).message).toMatch(/The specified bucket does not exist/); // s3rver's XML message, for the logs
    expect(rt.store.originFetches).toBe(0);
  });

  it('says which S3 settings are missing', async () => {
    await expectProblem(Promise.resolve().then(() => createModelRuntime({ MODEL_STORE: 's3', S3_ENDPOINT: S3_TEST.endpoint }, workerdOrt)), 'model-store-failed', /S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY/);
  });
});
