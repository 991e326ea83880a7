/**
 * The memory budget: a model whose measured peak does not fit what the isolate has left is refused with a clear
 * 503 problem, before anything is downloaded or started; loads in flight hold their share.
 */
import { describe, expect, it } from 'vitest';
import { fixtureEntries } from '../../models/fixtures/index';
import { MODELS } from '../../models/manifest';
import { createModelRuntime, modelStoreFromEnv } from '../../models/runtime-from-env';
import { MemoryBudget } from '../../shared/onnx/budget';
import { ModelRuntime } from '../../shared/onnx/model-runtime';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { expectProblem, textFeeds, visionFeeds } from '../helpers/model-fixtures';

const MiB = 2 ** 20;

describe('memory budget (workerd)', () => {
  it('refuses a model over the budget, naming the model, its need and the budget, before any download or ORT start', async () => {
    const rt = createModelRuntime({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin', MEMORY_BUDGET_MB: '8' }, workerdOrt);
    const p = await expectProblem(rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0)), 'model-over-budget', /Model "mobileclip-s0-vision" needs about 16\.0 MB/, /8\.0 MB memory budget/);
    expect(p.status).toBe(503);
    expect(p.extensions).toMatchObject({ model: 'mobileclip-s0-vision', budget_bytes: 8 * MiB });
    expect(rt.ort.started).toBe(false);
  });

  it('refuses a real model that does not fit 128 MB (OWL-ViT) without touching the store', async () => {
    const owl = MODELS.find((m) => m.id === 'owlvit-b32-image')!;
    expect(owl.memory.peakWasmBytes).toBeGreaterThan(128 * MiB);
    const store = modelStoreFromEnv({ MODEL_STORE: 'origin' });
    const rt = new ModelRuntime({ set: 'default', entries: MODELS, store, provider: workerdOrt, budget: new MemoryBudget(128 * MiB) });
    await expectProblem(rt.run('owlvit-b32-image', {}), 'model-over-budget', /owlvit-b32/, /128\.0 MB memory budget/);
    expect(store.originFetches).toBe(0);
    expect((await rt.list()).find((m) => m.id === 'owlvit-b32-image')).toMatchObject({ fits_budget: false, state: 'failed' });
  });

  it('counts loads in flight: of two concurrent loads that each fit alone, the second is refused', async () => {
    const entries = await fixtureEntries();
    const need = (id: string) => entries.find((e) => e.id === id)!.memory.peakWasmBytes + entries.find((e) => e.id === id)!.files[0].bytes!;
    const budget = new MemoryBudget(Math.max(need('mobileclip-s0-vision'), need('mobileclip-s0-text')) + MiB);
    const rt = new ModelRuntime({ set: 'fixtures', entries, store: modelStoreFromEnv({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin' }), provider: workerdOrt, budget });
    const [a, b] = await Promise.allSettled([rt.run('mobileclip-s0-vision', visionFeeds(0, 0, 0)), rt.run('mobileclip-s0-text', textFeeds([1]))]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect(String((b as PromiseRejectedResult).reason.message)).toMatch(/mobileclip-s0-text.*in use or reserved/);
    // once the first load finished, only its heap growth counts: the text model now fits beside it
    await rt.run('mobileclip-s0-text', textFeeds([1]));
    expect(budget.reservedBytes()).toBe(0);
  });
});
