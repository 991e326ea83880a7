/**
 * Model store failures reach clients as a clean detail (issue 11, item 10): the model id, the key, the kind of
 * failure and a URL without credentials; the store's own words (S3 XML error messages, socket errors, R2 errors)
 * stay on the problem's cause, which the API logs under the request id.
 */
import { describe, expect, it } from 'vitest';
import { fixtureEntries, fixtureKey } from '../../models/fixtures/index';
import { ModelStore } from '../../shared/store/model-store';
import type { ObjectStore } from '../../shared/store/object-store';
import { httpOrigin } from '../../shared/store/origin';
import { s3ObjectStore } from '../../shared/store/s3';
import { S3_TEST } from '../setup/s3-config';
import { expectProblem } from '../helpers/model-fixtures';

const entryOf = async (id: string) => (await fixtureEntries()).filter((e) => e.id === id)[0];

/** A bucket whose every call fails the way `error` says: what the S3 SDK or the R2 binding throws. */
function failingBucket(error: unknown): ObjectStore {
  return { kind: 's3', location: 's3://models at https://store.example', get: () => Promise.reject(error), put: () => Promise.reject(error) };
}

const sdkError = (name: string, status: number | undefined, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('model store details', () => {
  it.each([
    ['a missing bucket', sdkError('NoSuchBucket', 404, 'The specified bucket does not exist'), 'the bucket does not exist'],
    ['bad credentials', sdkError('InvalidAccessKeyId', 403, 'The AWS Access Key Id AKIAEXAMPLE you provided does not exist in our records.'), 'access was denied (check the credentials)'],
    ['a 503 with an XML body', sdkError('Unknown', 503, '<?xml version="1.0"?><Error><Code>SlowDown</Code><Resource>/internal/x</Resource></Error>'), 'the store answered HTTP 503'],
    ['a refused connection', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:9000'), { code: 'ECONNREFUSED' }) }), 'the store could not be reached (the connection was refused)'],
    ['an R2 binding error', new Error('get: Unspecified error (0) at bucket 7f3a…'), 'the store failed (its error is in our logs under this request id)'],
  ])('a bucket failure (%s) names the model, the key and the kind of failure; the raw text is only the cause', async (_, raw, words) => {
    const entry = await entryOf('owlvit-b32-image');
    const p = await expectProblem(new ModelStore({ bucket: failingBucket(raw) }).load(entry, entry.files[0]), 'model-store-failed');
    expect(p.message).toBe(`Model "owlvit-b32-image": reading ${entry.files[0].key} from s3://models at https://store.example failed: ${words}.`);
    expect(p.message).not.toMatch(/specified|AKIA|xml|SlowDown|10\.0\.0\.9|ECONN|Unspecified/);
    expect(p.cause).toBe(raw);
  });

  it('an S3 endpoint with credentials in it is shown without them', () => {
    const store = s3ObjectStore({ endpoint: 'https://AKIAEXAMPLE:s3cr3t@store.example:9000/?token=t0k3n', bucket: 'models', accessKeyId: 'a', secretAccessKey: 'b' });
    expect(store.location).toBe('s3://models at https://store.example:9000');
  });

  it('an origin that refuses the connection: what failed, the URL without its credentials or query', async () => {
    const entry = await entryOf('owlvit-b32-image');
    const file = { ...entry.files[0], origin: 'https://mirror.example/m/owlvit.onnx?X-Amz-Signature=abc123' };
    const raw = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:443'), { code: 'ECONNREFUSED' }) });
    const origin = httpOrigin({ fetch: () => Promise.reject(raw) });
    const p = await expectProblem(origin.fetch(entry, file), 'model-store-failed');
    expect(p.message).toBe('Model "owlvit-b32-image": downloading https://mirror.example/m/owlvit.onnx failed: the connection was refused.');
    expect(p.extensions.url).toBe('https://mirror.example/m/owlvit.onnx');
    expect(p.cause).toBe(raw);
  });

  it('an origin that denies access says so; a base with credentials is shown without them', async () => {
    const entry = await entryOf('owlvit-b32-image');
    const origin = httpOrigin({ base: 'https://user:t0k3n@mirror.example/models', fetch: async () => new Response('<Error>AccessDenied</Error>', { status: 403 }) });
    expect(origin.description).toBe('origin https://mirror.example/models/');
    const p = await expectProblem(origin.fetch(entry, entry.files[0]), 'model-store-failed');
    expect(p.message).toBe(`Model "owlvit-b32-image": downloading https://mirror.example/models/${entry.files[0].key} answered HTTP 403 (access denied).`);
    expect(JSON.stringify(p.toBody())).not.toMatch(/t0k3n|user:|AccessDenied/);
  });

  it('through workerd: an origin URL with credentials (which fetch refuses to send) never shows them', async () => {
    const key = fixtureKey('sam-decoder-a');
    const entry = await entryOf('sam-decoder-a');
    const base = `${S3_TEST.endpoint.replace('http://', 'http://user:t0k3n@')}/${S3_TEST.originBucket}/nowhere/`;
    const p = await expectProblem(new ModelStore({ origin: httpOrigin({ base }) }).load(entry, { ...entry.files[0], key }), 'model-store-failed', /^Model "sam-decoder-a": downloading http:\/\/127\.0\.0\.1:\d+\/model-origin\/nowhere\/fixtures\/sam-decoder-a\.onnx (failed|answered)/);
    expect(JSON.stringify(p.toBody())).not.toMatch(/t0k3n/);
  });
});
