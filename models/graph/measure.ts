/// <reference types="node" />
/**
 * Runs one graph once in a fresh onnxruntime-web copy (Node) and reports what the shard planner and the memory
 * table need: the outputs, and the peak wasm heap of that copy (linear memory only grows, so its final size after
 * create + one run is the peak; ORT's own idle heap included, as the manifest's MemoryNeed counts it).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeOrt } from '../../shared/onnx/ort-node';
import { OrtRuntime } from '../../shared/onnx/ort-runtime';
import { runInSubBatches } from '../../shared/onnx/sub-batch';
import type { TensorData } from '../../shared/onnx/tensors';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export type OptLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface RunResult { outputs: Record<string, TensorData>; peakHeapBytes: number; createMs: number; runMs: number; runs: number }
export type SubBatched = Parameters<typeof runInSubBatches>[0];

/**
 * `model`: run as the runtime does for an entry with a measured batch, sub-batch by sub-batch in this one session
 * (shared/onnx/sub-batch.ts); `runs` says how many session runs that took.
 */
export async function runFresh(bytes: Uint8Array, feeds: Record<string, TensorData>, opts: { outputs?: string[]; graphOptimizationLevel?: OptLevel; model?: SubBatched } = {}): Promise<RunResult> {
  gc(); // the previous copy's heap (up to GBs) must go before this one is measured
  const inst = await new OrtRuntime(nodeOrt).ready();
  let t = performance.now();
  const session = await inst.ort.InferenceSession.create(bytes, {
    executionProviders: inst.executionProviders, enableCpuMemArena: false, enableMemPattern: false,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
  });
  const createMs = performance.now() - t;
  try {
    let runs = 0;
    const runOnce = async (f: Record<string, TensorData>) => {
      runs++;
      const ortFeeds = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, new inst.ort.Tensor(v.type, v.data as never, v.dims as number[])]));
      const out = opts.outputs ? await session.run(ortFeeds, opts.outputs) : await session.run(ortFeeds);
      const outputs: Record<string, TensorData> = {};
      for (const [k, v] of Object.entries(out)) outputs[k] = { type: v.type as TensorData['type'], data: v.data as TensorData['data'], dims: [...v.dims] };
      return outputs;
    };
    t = performance.now();
    const outputs = opts.model ? (await runInSubBatches(opts.model, feeds, runOnce))! : await runOnce(feeds);
    const runMs = performance.now() - t;
    return { outputs, peakHeapBytes: inst.heapBytes() ?? 0, createMs, runMs, runs };
  } finally {
    await session.release();

  }
}
