/// <reference types="node" />
/**
 * Graph surgery, sharding: the chain of shards (runShardChain, each shard in its own fresh onnxruntime-web copy)
 * reproduces the whole graph's outputs, every shard's measured peak is under the budget it was cut for, and the
 * tensors crossing each cut are exactly what later shards read. On a generated model (always) and on the full
 * MobileCLIP-S0 image look-alike (needs ../shared/lookalike-models, skipped without it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARED } from '../../models/commands/lookalikes';
import { runFresh } from '../../models/graph/measure';
import { decodeModel } from '../../models/graph/proto';
import { GraphCutter, type BuiltShard } from '../../models/graph/shard';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';
import { runShardChain, type ShardPlan } from '../../shared/onnx/shard-plan';
import type { TensorData } from '../../shared/onnx/tensors';

const MiB = 2 ** 20;

function lcg(seed: number, n: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale);
}

/** x [1, 512] -> 6 residual blocks (MatMul 512x512 -> Relu -> MatMul -> Add), 1 MiB of weights each -> y, and a side output. */
function residualMlp(): Uint8Array {
  const g = new GraphBuilder('residual_mlp');
  let h = g.input('x', 'float32', [1, 512]);
  const first = h;
  for (let b = 0; b < 6; b++) {
    const w1 = g.f32(lcg(2 * b + 1, 512 * 512, 0.08), [512, 512]);
    const w2 = g.f32(lcg(2 * b + 2, 512 * 512, 0.08), [512, 512]);
    const branch = g.op('MatMul', [g.op('Relu', [g.op('MatMul', [h, w1])]), w2]);
    h = g.op('Add', [h, branch]);
  }
  g.output(h, 'y', 'float32', [1, 512]);
  // a second output computed from the input and the last block: a value that crosses every cut from the feeds
  g.output(g.op('Mul', [h, first]), 'z', 'float32', [1, 512]);
  return g.encode();
}

const run = (b: Uint8Array, f: Record<string, TensorData>, outputs?: string[]) => runFresh(b, f, { outputs });

function planOf(name: string, budget: number, shards: BuiltShard[]): ShardPlan {
  return { model: name, budgetBytes: budget, shards: shards.map((s) => ({ index: s.index, file: { key: `${name}.shard-${s.index}.onnx`, bytes: s.bytes.length, sha256: null, origin: null }, inputs: s.inputs, outputs: s.outputs, memory: { peakWasmBytes: s.peakHeapBytes, basis: 'test' } })) };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-6));
  return m;
}

async function checkChain(bytes: Uint8Array, feeds: Record<string, TensorData>, budget: number, outputs: string[]) {
  const whole = await run(bytes, feeds);
  expect(whole.peakHeapBytes).toBeGreaterThan(budget); // otherwise nothing would be cut
  const cutter = new GraphCutter(decodeModel(bytes));
  const shards = await cutter.plan({ budgetBytes: budget, feeds, run });
  expect(shards.length).toBeGreaterThan(1);
  for (const s of shards) expect(s.peakHeapBytes).toBeLessThanOrEqual(budget);
  // every shard input is a whole-graph feed or an output of an earlier shard
  shards.forEach((s, i) => {
    const earlier = new Set([...Object.keys(feeds), ...shards.slice(0, i).flatMap((x) => x.outputs.map((o) => o.name))]);
    for (const t of s.inputs) expect(earlier.has(t.name), `${t.name} of shard ${i}`).toBe(true);
  });
  const plan = planOf('test', budget, shards);
  const chained = await runShardChain(plan, feeds, outputs, async (spec, f) => (await run(shards[spec.index].bytes, f)).outputs);
  for (const o of outputs) expect(maxRelDiff(whole.outputs[o].data as Float32Array, chained[o].data as Float32Array), o).toBeLessThanOrEqual(1e-5);
  return shards;
}

describe('shard planner', () => {
  it('cuts a generated residual MLP under a budget, and the chain of shards reproduces its outputs', async () => {
    const bytes = residualMlp();
    const feeds = { x: { type: 'float32' as const, data: lcg(7, 512, 2), dims: [1, 512] } };
    const shards = await checkChain(bytes, feeds, 24 * MiB, ['y', 'z']);
    // only the residual stream crosses a cut: x reaches later shards from the feeds, weights are never passed
    for (const s of shards.slice(1)) expect(s.inputs.map((t) => t.name).filter((n) => n !== 'x')).toHaveLength(1);
  }, 60_000);

  it('cuts further where a shard fits the heap budget but not the isolate with its file (the runtime admission rule)', async () => {
    const feeds = { x: { type: 'float32' as const, data: lcg(7, 512, 2), dims: [1, 512] } };
    const loose = await new GraphCutter(decodeModel(residualMlp())).plan({ budgetBytes: 24 * MiB, feeds, run });
    const largest = Math.max(...loose.map((s) => s.peakHeapBytes + s.bytes.length));
    const tight = await new GraphCutter(decodeModel(residualMlp())).plan({ budgetBytes: 24 * MiB, isolateBytes: largest - 1, feeds, run });
    expect(tight.length).toBeGreaterThan(loose.length);
    for (const s of tight) expect(s.peakHeapBytes + s.bytes.length).toBeLessThanOrEqual(largest - 1);
  }, 60_000);

  it('refuses to cut where the only crossing tensors exceed the RPC-safe size', async () => {
    const cutter = new GraphCutter(decodeModel(residualMlp()));
    const feeds = { x: { type: 'float32' as const, data: lcg(7, 512, 2), dims: [1, 512] } };
    await expect(cutter.plan({ budgetBytes: 24 * MiB, feeds, run, maxCrossBytes: 1024 })).rejects.toThrow(/no cut inside them with crossing tensors under/);
  }, 60_000);

  const mobileclip = join(DEFAULT_SHARED, 'mobileclip_s0_vision_approx_fastvit_mci0_int8.onnx');
  it.skipIf(!existsSync(mobileclip))('cuts the full MobileCLIP-S0 image look-alike, and the chain reproduces its embedding', async () => {
    const bytes = new Uint8Array(readFileSync(mobileclip));
    const feeds = { pixel_values: { type: 'float32' as const, data: lcg(3, 3 * 256 * 256, 1).map((v) => v + 0.5), dims: [1, 3, 256, 256] } };
    await checkChain(bytes, feeds, 34 * MiB, ['out']);
  }, 240_000);
});
