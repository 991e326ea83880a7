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
import { GraphBuilder } from '../../shared/onnx/onnx-writer';
import { expectProblem, visionFeeds } from '../helpers/model-fixtures';

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

    await expectProblem(rt.run('mobileclip-s0-vision', visionFeeds(1, 2, 3)), 'stage-failed', /onnxruntime-web failed to start \(flaky test provider\)/, /next request starts a fresh copy/);
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
