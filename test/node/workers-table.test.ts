/**
 * The Worker table (infra/workers.ts): which Workers a set needs, their bindings and vars, and the configs made from
 * it. Fast (no bundling); test/node/workers-split.test.ts runs the generated configs in workerd.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tableFor } from '../../infra/cli';
import { apiToml, wranglerJsonc } from '../../infra/workers';
import { modelBindingName } from '../../shared/onnx/model-parts';

const rel = (p: string) => `../../${p}`;

describe('the Worker table', () => {
  it('default set: the api binds one stage Worker per stage, each stage one model Worker per model it uses', async () => {
    const t = await tableFor({ MODEL_SET: 'default' });
    expect(t[0]).toMatchObject({ name: 'gmner-api', kind: 'api', main: 'functions/api/edge.ts' });
    expect(t[0].services).toEqual([
      { binding: 'ENTAIL_SERVICE', service: 'gmner-entail', entrypoint: 'EntailService' },
      { binding: 'GROUND_SERVICE', service: 'gmner-ground', entrypoint: 'GroundService' },
      { binding: 'SEGMENT_SERVICE', service: 'gmner-segment', entrypoint: 'SegmentService' },
    ]);
    const seg = t.find((w) => w.name === 'gmner-segment')!;
    expect(seg.services.map((s) => s.binding)).toEqual([modelBindingName('mobilesam-encoder'), modelBindingName('sam-decoder-a')]);
    const parts = t.filter((w) => w.kind === 'part');
    expect(parts.every((w) => w.main === 'functions/shard/index.ts' && w.vars.PART_MODEL === w.hosts!.model && w.vars.MODEL_SET === 'default')).toBe(true);
    // every binding points at a Worker of the table
    const names = new Set(t.map((w) => w.name));
    for (const w of t) for (const s of w.services) expect(names.has(s.service)).toBe(true);
  });

  it('follows the stage configuration: an override moves the model Worker, a VLM grounder needs none', async () => {
    const t = await tableFor({ MODEL_SET: 'default', SEGMENT_DECODER_MODEL: 'sam-decoder-b', GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'https://v/v1', VLM_API_KEY: 'secret', VLM_MODEL: 'm' });
    expect(t.map((w) => w.name)).toContain('gmner-part-sam-decoder-b');
    expect(t.map((w) => w.name)).not.toContain('gmner-part-sam-decoder-a');
    const ground = t.find((w) => w.name === 'gmner-ground')!;
    expect(ground.services).toEqual([]);
    // secrets stay out of deploy configs, and reach `wrangler dev` only when asked for
    expect(ground.vars.VLM_API_KEY).toBeUndefined();
    expect((await tableFor({ MODEL_SET: 'default', GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'https://v/v1', VLM_API_KEY: 'secret', VLM_MODEL: 'm' }, true)).find((w) => w.name === 'gmner-ground')!.vars.VLM_API_KEY).toBe('secret');
  });

  it('a Workers AI grounder: the ground Worker binds AI in its config, and no other Worker does', async () => {
    const t = await tableFor({ MODEL_SET: 'default', GROUND_PROVIDER: 'vlm', VLM_PROVIDER: 'workers-ai', VLM_MODEL: '@cf/meta/llama-3.2-11b-vision-instruct' });
    const ground = t.find((w) => w.name === 'gmner-ground')!;
    expect(ground).toMatchObject({ kind: 'stage', ai: true, services: [] });
    expect(t[0].services.map((s) => s.binding)).toContain('GROUND_SERVICE');
    expect(JSON.parse(wranglerJsonc(ground, rel).replace(/^\/\/.*\n/, '')).ai).toEqual({ binding: 'AI' });
    for (const w of t.filter((x) => x.kind !== 'api' && x !== ground)) expect(JSON.parse(wranglerJsonc(w, rel).replace(/^\/\/.*\n/, '')).ai).toBeUndefined();
    // an OpenAI-compatible VLM needs no binding
    const openai = await tableFor({ MODEL_SET: 'default', GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'https://v/v1', VLM_API_KEY: 'k', VLM_MODEL: 'm' });
    expect(openai.find((w) => w.name === 'gmner-ground')!.ai).toBeUndefined();
  });

  it('a sharded entry gets one Worker per shard', async () => {
    const t = await tableFor({ MODEL_SET: 'fixtures' });
    const shards = t.filter((w) => w.kind === 'shard');
    expect(shards.map((w) => [w.name, w.vars.PART_MODEL, w.vars.PART_SHARD])).toEqual([
      ['gmner-shard-mobilesam-encoder-0', 'mobilesam-encoder', '0'],
      ['gmner-shard-mobilesam-encoder-1', 'mobilesam-encoder', '1'],
    ]);
  });

  it('configs: the api from wrangler.toml with the edge entry and the bindings; the others as JSONC', async () => {
    const t = await tableFor({ MODEL_SET: 'fixtures' });
    const toml = apiToml(readFileSync('wrangler.toml', 'utf8'), t[0], rel);
    expect(toml).toMatch(/^main = "\.\.\/\.\.\/functions\/api\/edge\.ts"$/m);
    expect(toml).toMatch(/^migrations_dir = "\.\.\/\.\.\/infra\/migrations"$/m);
    // the demo page's assets and the build's watch folder: wrangler resolves both against the config's folder
    expect(toml).toMatch(/^directory = "\.\.\/\.\.\/web\/dist"$/m);
    expect(toml).toMatch(/^watch_dir = "\.\.\/\.\.\/web\/src"$/m);
    expect(toml).toContain('[[services]]\nbinding = "SEGMENT_SERVICE"\nservice = "gmner-segment"\nentrypoint = "SegmentService"');
    expect(toml).toContain('[[d1_databases]]');
    const json = JSON.parse(wranglerJsonc(t.find((w) => w.kind === 'shard')!, rel).replace(/^\/\/.*\n/, ''));
    expect(json).toMatchObject({ name: 'gmner-shard-mobilesam-encoder-0', main: '../../functions/shard/index.ts', r2_buckets: [{ binding: 'MODELS', bucket_name: 'gmner-models' }], vars: { PART_SHARD: '0' } });
    expect(() => apiToml('name = "x"\n', t[0], rel)).toThrow(/no top-level main/);
  });
});
