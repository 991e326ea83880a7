/**
 * The runtime's lifecycle inside workerd: nothing starts before first use, one session per model however many
 * requests race for it, and a graph or feeds that disagree with the manifest contract are refused clearly.
 */
import { describe, expect, it } from 'vitest';
import { fixtureEntries } from '../../models/fixtures/index';
import { createModelRuntime, modelRuntimeFromEnv, modelStoreFromEnv } from '../../models/runtime-from-env';
import { MemoryBudget } from '../../shared/onnx/budget';
import { ModelRuntime } from '../../shared/onnx/model-runtime';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { expectProblem, visionFeeds } from '../helpers/model-fixtures';

const FIXTURES = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin' };

describe('model runtime in workerd', () => {
  it('starts nothing until a model is used, then loads only that model', async () => {
    const rt = createModelRuntime(FIXTURES, workerdOrt);
    expect(rt.ort.started).toBe(false);
    expect((await rt.list()).map((m) => m.state)).toEqual(Array(7).fill('idle'));
    await rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0));
    expect(rt.ort.started).toBe(true);
    const states = Object.fromEntries((await rt.list()).map((m) => [m.id, m.loaded]));
    expect(states).toEqual({ 'mobileclip-s0-vision': true, 'mobileclip-s0-text': false, 'owlvit-b32-image': false, 'owlvit-b32-query': false, 'mobilesam-encoder': false, 'sam-decoder-a': false, 'sam-decoder-b': false });
    expect(rt.describe()).toMatchObject({ set: 'fixtures', store: { kind: 'origin' }, budget_bytes: 128 * 2 ** 20 });
    expect(rt.describe().wasm_heap_bytes).toBeGreaterThanOrEqual(16 * 2 ** 20);
  });

  it('creates one session and fetches the file once when concurrent requests race for a cold model', async () => {
    const store = modelStoreFromEnv(FIXTURES);
    const rt = new ModelRuntime({ set: 'fixtures', entries: fixtureEntries(), store, provider: workerdOrt, budget: new MemoryBudget(128 * 2 ** 20) });
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => rt.run('mobileclip-s0-vision', visionFeeds(i, 0, 0))));
    expect(outs.map((o) => o.image_embeds.data[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rt.sessionsCreated).toBe(1);
    expect(rt.ort.starts).toBe(1);
    expect(store.originFetches).toBe(1);
  });

  it('warms a model hosted by shard Workers once: a second prepare makes no more load calls', async () => {
    const entry = (await fixtureEntries()).find((e) => e.shards)!;
    const loads: number[] = [];
    const shard = (i: number) => ({ run: async () => ({ outputs: {}, run_ms: 0 }), load: async () => { loads.push(i); } });
    const parts = { model: () => null, shard: (_: string, i: number) => shard(i), names: [] };
    const rt = new ModelRuntime({ set: 'fixtures', entries: fixtureEntries(), store: modelStoreFromEnv(FIXTURES), provider: workerdOrt, budget: new MemoryBudget(128 * 2 ** 20), parts });
    await rt.warm(entry.id);
    await rt.warm(entry.id);
    expect(loads.sort()).toEqual(entry.shards!.shards.map((s) => s.index));
    expect(rt.ort.started).toBe(false);
  });

  it('unloadAll releases every session and the ORT copy; the next use starts afresh', async () => {
    const rt = createModelRuntime(FIXTURES, workerdOrt);
    await rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0));
    await rt.unloadAll();
    expect(rt.ort.started).toBe(false);
    expect(rt.describe().wasm_heap_bytes).toBe(0);
    expect((await rt.list()).every((m) => m.state === 'idle')).toBe(true);
    const out = await rt.run('mobileclip-s0-vision', visionFeeds(3, 0, 0));
    expect(out.image_embeds.data[0]).toBe(3);
    expect(rt.ort.starts).toBe(2);
  });

  it('keeps one runtime per isolate and configuration', () => {
    const a = modelRuntimeFromEnv({ ...FIXTURES }, workerdOrt);
    expect(modelRuntimeFromEnv({ ...FIXTURES }, workerdOrt)).toBe(a);
    expect(modelRuntimeFromEnv({ ...FIXTURES, MEMORY_BUDGET_MB: '64' }, workerdOrt)).not.toBe(a);
  });

  it('refuses a graph whose inputs differ from the manifest contract, naming both', async () => {
    const entries = (await fixtureEntries()).map((e) => (e.id === 'mobileclip-s0-vision' ? { ...e, inputs: [{ ...e.inputs[0], name: 'images' }] } : e));
    const rt = new ModelRuntime({ set: 'fixtures', entries, store: modelStoreFromEnv(FIXTURES), provider: workerdOrt, budget: new MemoryBudget(128 * 2 ** 20) });
    await expectProblem(rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0)), 'model-integrity', /mobileclip-s0-vision/, /images is missing/, /extra input pixel_values/);

    const resized = entries.map((e) => (e.id === 'owlvit-b32-image' ? { ...e, outputs: [...e.outputs.slice(0, 3), { ...e.outputs[3], shape: [1, 2304, 4] }] } : e));
    const rt2 = new ModelRuntime({ set: 'fixtures', entries: resized, store: modelStoreFromEnv(FIXTURES), provider: workerdOrt, budget: new MemoryBudget(128 * 2 ** 20) });
    await expectProblem(rt2.load('owlvit-b32-image'), 'model-integrity', /pred_boxes has shape \[1,576,4\], the manifest says \[1,2304,4\]/);
    expect((await rt.list()).find((m) => m.id === 'mobileclip-s0-vision')).toMatchObject({ state: 'failed', loaded: false });
  });

  it('refuses feeds that do not match the contract before running', async () => {
    const rt = createModelRuntime(FIXTURES, workerdOrt);
    const feeds = visionFeeds(0, 0, 0);
    await expectProblem(rt.run('mobileclip-s0-vision', { pixel_values: { ...feeds.pixel_values, dims: [1, 3, 128, 512] } }), 'stage-failed', /pixel_values has dims \[1,3,128,512\], expected pixel_values float32\[batch,3,256,256\]/);
    await expectProblem(rt.run('mobileclip-s0-vision', {}), 'stage-failed', /missing pixel_values/);
    await expectProblem(rt.run('no-such-model', {}), 'internal', /No model "no-such-model" in the "fixtures" model set/);
  });
});
