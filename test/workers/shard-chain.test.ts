import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../shared/onnx/manifest-types';
import { runShardChain, type ShardPlan, type ShardSpec } from '../../shared/onnx/shard-plan';
import { tensor, type TensorData } from '../../shared/onnx/tensors';

const spec = (name: string): TensorSpec => ({ name, type: 'float32', shape: [1] });
const shard = (index: number, inputs: string[], outputs: string[]): ShardSpec => ({
  index,
  file: { key: `s${index}.onnx`, bytes: null, sha256: null, origin: null },
  inputs: inputs.map(spec),
  outputs: outputs.map(spec),
  memory: { peakWasmBytes: 0, basis: 'test' },
});
const scalar = (v: number) => tensor('float32', new Float32Array([v]), [1]);
const value = (t: TensorData) => (t.data as Float32Array)[0];

// x -> a = x + 1 (shard 0) -> b = a * 2, c = x * 10 (shard 1, needs x from the feeds) -> y = b + c (shard 2)
const plan: ShardPlan = { model: 'toy', budgetBytes: 1, shards: [shard(0, ['x'], ['a']), shard(1, ['a', 'x'], ['b', 'c']), shard(2, ['b', 'c'], ['y'])] };
const ops: Record<number, (f: Record<string, number>) => Record<string, number>> = {
  0: (f) => ({ a: f.x + 1 }),
  1: (f) => ({ b: f.a * 2, c: f.x * 10 }),
  2: (f) => ({ y: f.b + f.c }),
};

describe('runShardChain', () => {
  it('feeds each shard by name from the inputs and earlier shards, and returns the whole graph outputs', async () => {
    const seen: Array<[number, string[]]> = [];
    const out = await runShardChain(plan, { x: scalar(3) }, ['y'], async (s, feeds) => {
      seen.push([s.index, Object.keys(feeds).sort()]);
      const got = ops[s.index](Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, value(t)])));
      return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, scalar(v)]));
    });
    expect(value(out.y)).toBe((3 + 1) * 2 + 30);
    expect(seen).toEqual([[0, ['x']], [1, ['a', 'x']], [2, ['b', 'c']]]);
  });

  it('names the missing tensor when a shard does not return what the plan says', async () => {
    await expect(runShardChain(plan, { x: scalar(1) }, ['y'], async () => ({}))).rejects.toThrow(/shard 0 of toy did not return "a"/);
  });

  it('names the missing feed', async () => {
    await expect(runShardChain(plan, {}, ['y'], async () => ({}))).rejects.toThrow(/needs "x"/);
  });
});
