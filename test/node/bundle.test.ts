import { Validator } from '@seriousme/openapi-schema-validator';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker, startBuilt, type BuiltWorker } from '../support/built-worker';
import { describeOpenApiExamples } from '../support/openapi-examples';

describe('the deployable bundle', () => {
  let built: BuiltWorker;
  let mf: Miniflare;
  beforeAll(async () => {
    built = buildWorker();
    mf = startBuilt(built.outdir);
    await mf.ready;
  }, 120_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it('builds with wrangler deploy --dry-run', () => {
    expect(built.uploadLine).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    console.log(`[bundle] ${built.uploadLine}`);
  });

  it('starts in workerd (no I/O or randomness at global scope) and answers /healthz', async () => {
    const res = await mf.dispatchFetch('http://localhost/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves an OpenAPI document that validates as OpenAPI 3.1', async () => {
    const res = await mf.dispatchFetch('http://localhost/openapi.json');
    const doc = (await res.json()) as Record<string, unknown>;
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result).toMatchObject({ valid: true });
    expect(doc.openapi).toBe('3.1.0');
  });

  describeOpenApiExamples(async () => (await mf.dispatchFetch('http://localhost/openapi.json')).json());
});
