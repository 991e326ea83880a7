/**
 * A failed ORT initialisation must not poison the isolate. The first start here gets a wasm module that is not
 * onnxruntime's, so ORT's own init really fails (and that ORT copy is then stuck on "previous call to
 * 'initWasm()' failed"); the next request must start a fresh copy and succeed.
 */
import foreignWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { describe, expect, it } from 'vitest';
import { createModelRuntime } from '../../models/runtime-from-env';
import { instantiateOrt } from '../../shared/onnx/ort-instance';
import type { OrtInstance, OrtProvider } from '../../shared/onnx/ort-types';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';
import { tensor } from '../../shared/onnx/tensors';
import { expectProblem, owlImageFeeds, textExpected, textFeeds, visionFeeds } from '../helpers/model-fixtures';

function identity(): Uint8Array {
  const g = new GraphBuilder('id');
  g.output(g.input('x', 'float32', [1]), 'y', 'float32', [1]);
  return g.encode();
}

describe('recovery after a failed initialisation (workerd)', () => {
  it('the failed ORT copy stays broken, and the runtime answers the next request with a fresh one', async () => {
    const copies: OrtInstance[] = [];
    const flaky: OrtProvider = {
      name: 'flaky test provider',
      instantiate: async () => {
        const copy = instantiateOrt(copies.length === 0 ? foreignWasm : ortWasm);
        copies.push(copy);
        return copy;
      },
    };
    const rt = createModelRuntime({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin' }, flaky);

    const p = await expectProblem(rt.run('mobileclip-s0-vision', visionFeeds(1, 2, 3)), 'stage-failed', /onnxruntime-web failed to start \(flaky test provider\)/, /next request starts a fresh copy/);
    // the loader's own words are for the logs (cause, lastError), not the client
    expect(p.message).not.toMatch(/wbg|Import #0|initWasm|instantiate/);
    expect(rt.ort.lastError).toMatch(/Import #0|wbg|instantiate/);
    expect(rt.ort.started).toBe(false);
    // what the isolate would be stuck with without a fresh copy: ORT's init failure is sticky
    const stuck = await copies[0].ort.InferenceSession.create(identity()).then(() => 'created', (e) => String(e));
    expect(stuck).toMatch(/previous call to 'initWasm\(\)' failed/);

    const out = await rt.run('mobileclip-s0-vision', visionFeeds(1, 2, 3));
    expect(Array.from(out.image_embeds.data as Float32Array).slice(0, 3)).toEqual([1, 2, 3]);
    expect(rt.ort.starts).toBe(2);
    expect(copies).toHaveLength(2);
    expect((await rt.list()).find((m) => m.id === 'mobileclip-s0-vision')?.loaded).toBe(true);
  });
});

describe('recovery after a run that grew the heap (workerd)', () => {
  // 30,000 rows of 77 token ids: ORT copies them in (the heap grows to ~45 MB), then the one-hot of
  // 30,000 x 77 x 512 floats overflows its size arithmetic and the run fails. What is left must not stay.
  const oversized = () => ({ input_ids: tensor('int64', new BigInt64Array(30_000 * 77), [30_000, 77]) });

  it('drops the ORT copy after a failed run grew its heap, so the next model still loads and runs', async () => {
    const rt = createModelRuntime({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin', MEMORY_BUDGET_MB: '48' }, workerdOrt);
    await rt.run('mobileclip-s0-vision', visionFeeds(1, 2, 3));
    await rt.run('mobileclip-s0-text', textFeeds([1, 2]));

    const failing = rt.run('mobileclip-s0-text', oversized());
    failing.catch(() => undefined);
    // queued behind the failing run on a session of the copy about to be dropped: reloaded, not lost
    const queued = rt.run('mobileclip-s0-vision', visionFeeds(4, 5, 6));
    await failing.catch(() => undefined);
    // Before the fix: the ~45 MB left behind made every model not yet loaded 503 model-over-budget, for good.
    const owl = await rt.run('owlvit-b32-image', owlImageFeeds(3, 4));
    expect(Object.keys(owl)).toContain('image_class_embeds');
    expect(Array.from((await queued).image_embeds.data as Float32Array).slice(0, 3)).toEqual([4, 5, 6]);
    expect(Array.from((await rt.run('mobileclip-s0-text', textFeeds([7]))).text_embeds.data as Float32Array)).toEqual(textExpected([7]));
    expect(rt.recycles).toBe(1);

    const p = await expectProblem(failing, 'stage-failed', /Model "mobileclip-s0-text" failed to run on input_ids \[30000×77\]: the inputs are too large for the runtime/, /next request starts a fresh one/);
    expect(p.extensions).toMatchObject({ model: 'mobileclip-s0-text', runtime_restarted: true });
    // ORT's own message (with its build paths) stays with the error for the logs, not in the detail
    expect(p.message).not.toMatch(/onnxruntime\/core|safeint|\/mnt\/|ERROR_CODE/);
    expect(String((p.cause as Error).message)).toMatch(/ERROR_CODE/);
    expect(rt.ort.heapBytes()).toBeLessThan(40 * 2 ** 20);
  });

  it('keeps the copy while runs stay within the budget, drops it after a run that leaves the heap over it', async () => {
    const rt = createModelRuntime({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin', MEMORY_BUDGET_MB: '40' }, workerdOrt);
    for (const ids of [[1], [2], [3]]) await rt.run('mobileclip-s0-text', textFeeds(ids));
    expect([rt.recycles, rt.sessionsCreated, rt.ort.starts]).toEqual([0, 1, 1]);
    // 200 rows succeed, but their 31 MB one-hot leaves the heap above the 40 MB budget
    const rows = 200;
    const big = await rt.run('mobileclip-s0-text', { input_ids: tensor('int64', new BigInt64Array(rows * 77), [rows, 77]) });
    expect(big.text_embeds.dims).toEqual([rows, 512]);
    expect(rt.recycles).toBe(1);
    expect(rt.ort.started).toBe(false);
    await rt.run('owlvit-b32-image', owlImageFeeds(3, 4));
    expect([rt.sessionsCreated, rt.ort.starts]).toEqual([2, 2]);
    // the big run's outputs were copied out of the dropped heap: still intact (77 zero ids per row -> bucket 0)
    const embeds = big.text_embeds.data as Float32Array;
    expect([embeds[0], embeds[1], embeds[512 * 199]]).toEqual([77, 0, 77]);
  });
});
