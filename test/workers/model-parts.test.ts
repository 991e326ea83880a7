/**
 * The model runtime's shard path: a runtime whose environment binds the shard Workers of a sharded model runs the
 * chain through them (here the shard Worker's own entrypoint class stands in for the RPC stub; test/node/
 * workers-split.test.ts does the same through real service bindings) and creates no session of its own; without
 * those bindings it runs the whole graph as before. A part that hangs gives 504 stage-timeout at PART_TIMEOUT_MS.
 */
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ShardService } from '../../functions/shard/index';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { shardBindingName, modelBindingName } from '../../shared/onnx/model-parts';
import type { TensorData } from '../../shared/onnx/tensors';
import { ProblemError } from '../../shared/problems';
import { createModelRuntime } from '../../models/runtime-from-env';

const BASE = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin' };
const feeds = (): Record<string, TensorData> => {
  const data = new Float32Array(32 * 48 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 255;
  return { input_image: { type: 'float32', data, dims: [32, 48, 3] } };
};
const shardWorker = (index: number) => new ShardService(createExecutionContext(), { ...BASE, PART_MODEL: 'mobilesam-encoder', PART_SHARD: String(index) });

describe('model runtime over shard Workers', () => {
  it('chains the shards through their Workers and matches the whole graph, creating no session itself', async () => {
    const split = createModelRuntime({ ...BASE, [shardBindingName('mobilesam-encoder', 0)]: shardWorker(0), [shardBindingName('mobilesam-encoder', 1)]: shardWorker(1) }, workerdOrt);
    const whole = createModelRuntime(BASE, workerdOrt);
    const viaShards = await split.run('mobilesam-encoder', feeds());
    const inOne = await whole.run('mobilesam-encoder', feeds());
    expect(viaShards.image_embeddings.dims).toEqual([1, 256, 64, 64]);
    expect(Array.from(viaShards.image_embeddings.data as Float32Array)).toEqual(Array.from(inOne.image_embeddings.data as Float32Array));
    expect(split.sessionsCreated).toBe(0);
    expect(split.ort.started).toBe(false);
    // each shard call is logged with the callee's own run time (from its answer) and the bytes each way
    const hops = split.hops.since(0);
    expect(hops.map((h) => [h.model, h.shard])).toEqual([['mobilesam-encoder', 0], ['mobilesam-encoder', 1]]);
    expect(hops[0].bytes_out).toBe(feeds().input_image.data.byteLength);
    expect(hops[1].bytes_in).toBe(256 * 64 * 64 * 4);
    expect(hops[0].bytes_in).toBe(hops[1].bytes_out);
    for (const h of hops) expect(h.call_ms).toBeGreaterThanOrEqual(h.run_ms);
    expect(whole.hops.since(0)).toEqual([]);
  });

  it('with only some shards bound, runs the whole graph here', async () => {
    const rt = createModelRuntime({ ...BASE, [shardBindingName('mobilesam-encoder', 0)]: shardWorker(0) }, workerdOrt);
    await rt.run('mobilesam-encoder', feeds());
    expect(rt.sessionsCreated).toBe(1);
  });

  it('warm-ups call the part Worker once per isolate, and never with PART_WARMUP=off (no invocation to spare)', async () => {
    const counting = () => {
      const part = { loads: 0, run: async () => ({}), load: async () => { part.loads++; } };
      return part;
    };
    const on = counting();
    const warmed = createModelRuntime({ ...BASE, [modelBindingName('sam-decoder-a')]: on }, workerdOrt);
    await warmed.warm('sam-decoder-a');
    await warmed.warm('sam-decoder-a');
    expect(on.loads).toBe(1);
    const off = counting();
    const cold = createModelRuntime({ ...BASE, PART_WARMUP: 'off', [modelBindingName('sam-decoder-a')]: off }, workerdOrt);
    await cold.warm('sam-decoder-a');
    expect(off.loads).toBe(0);
    expect(cold.sessionsCreated).toBe(0); // nor does it load the model here instead
  });

  it('a part Worker that hangs: 504 stage-timeout after PART_TIMEOUT_MS', async () => {
    const hung = { run: () => new Promise(() => undefined), load: async () => undefined };
    const rt = createModelRuntime({ ...BASE, PART_TIMEOUT_MS: '100', [modelBindingName('sam-decoder-a')]: hung }, workerdOrt);
    const feedsA = {
      image_embeddings: { type: 'float32', data: new Float32Array(256 * 64 * 64), dims: [1, 256, 64, 64] },
      point_coords: { type: 'float32', data: new Float32Array(4), dims: [1, 2, 2] },
      point_labels: { type: 'float32', data: new Float32Array(2), dims: [1, 2] },
      mask_input: { type: 'float32', data: new Float32Array(256 * 256), dims: [1, 1, 256, 256] },
      has_mask_input: { type: 'float32', data: new Float32Array(1), dims: [1] },
      orig_im_size: { type: 'float32', data: new Float32Array([64, 64]), dims: [2] },
    } as Record<string, TensorData>;
    const err = await rt.run('sam-decoder-a', feedsA).catch((e) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).kind).toBe('stage-timeout');
    expect((err as ProblemError).message).toMatch(/Worker hosting model "sam-decoder-a" did not answer within 100 ms/);
  });
});
