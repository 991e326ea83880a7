/**
 * The contract between graph surgery (`npm run models -- shard`, which writes shard files and a plan) and the
 * runtime that chains shards across isolates. A graph whose measured peak does not fit one isolate is cut into
 * contiguous pieces in topological order; each piece is an ordinary ONNX file with its own hash and its own
 * measured peak, and runs in its own isolate. The tensors that cross a cut are the next pieces' inputs.
 *
 * Chaining is pure: `runShardChain` decides which values each shard gets and which it must return, and a caller
 * supplies how one shard runs (in-process through ModelRuntime, or over a service binding to the shard's Worker).
 */
import type { MeasuredBatch, MemoryNeed, ModelFile, TensorSpec } from './manifest-types';
import type { TensorData } from './tensors';

export interface ShardSpec {
  /** Position in the chain, from 0. */
  index: number;
  /** The shard's graph (hash-pinned like any model file). */
  file: ModelFile;
  /** Graph inputs of this shard: inputs of the whole graph and tensors produced by earlier shards. */
  inputs: TensorSpec[];
  /** What this shard returns: tensors later shards need and outputs of the whole graph it computes. */
  outputs: TensorSpec[];
  /** Measured peak of a fresh ORT copy that created this shard's session and ran it once. */
  memory: MemoryNeed;
}

export interface ShardPlan {
  /** Manifest id of the whole graph that was cut. */
  model: string;
  /** The per-isolate budget the cut was made for. */
  budgetBytes: number;
  /**
   * The rows every shard's `memory` was measured at (absent: no free batch dimension). A shard Worker given more
   * runs them as sub-batches of this size, every shard at the same row offsets, so values that encode a row's
   * position in its batch (the text towers' `arange(batch)` pooling offsets) agree between shards.
   */
  batch?: MeasuredBatch;
  shards: ShardSpec[];
}

/**
 * The batch a cut was measured at: the size of `dim` in the measured values of the shards' tensors. Undefined when
 * no tensor has the dimension, or when one labelled with it had another size (the planner names every dimension that
 * varies with the batch, so a flattened rows × tokens axis carries the name too): such a plan cannot be split by rows.
 */
export function measuredBatch(shards: { inputs: TensorSpec[]; outputs: TensorSpec[] }[], measured: (name: string) => TensorData | undefined, dim: string): MeasuredBatch | undefined {
  let rows: number | undefined;
  for (const spec of shards.flatMap((s) => [...s.inputs, ...s.outputs])) {
    const axis = spec.shape.indexOf(dim);
    const t = measured(spec.name);
    if (axis < 0 || !t) continue;
    if (rows !== undefined && t.dims[axis] !== rows) return undefined;
    rows = t.dims[axis];
  }
  return rows === undefined ? undefined : { dim, rows };
}

/** Runs one shard on named inputs and returns exactly the named outputs. */
export type RunShard = (shard: ShardSpec, feeds: Record<string, TensorData>) => Promise<Record<string, TensorData>>;

/**
 * Runs the shards in order. Each shard is fed, by name, from the whole graph's feeds and the outputs of earlier
 * shards; a value no later shard needs is dropped as soon as possible, so at most one cut's activations are
 * held at a time. Returns the requested outputs of the whole graph.
 */
export async function runShardChain(
  plan: ShardPlan,
  feeds: Record<string, TensorData>,
  outputNames: string[],
  runShard: RunShard,
): Promise<Record<string, TensorData>> {
  const values = new Map(Object.entries(feeds));
  const lastUse = new Map<string, number>();
  plan.shards.forEach((s, i) => s.inputs.forEach((t) => lastUse.set(t.name, i)));
  for (const name of outputNames) lastUse.set(name, Infinity);
  for (const [i, shard] of plan.shards.entries()) {
    const shardFeeds: Record<string, TensorData> = {};
    for (const t of shard.inputs) {
      const v = values.get(t.name);
      if (!v) throw new Error(`shard ${shard.index} of ${plan.model} needs "${t.name}", which neither the feeds nor an earlier shard provide`);
      shardFeeds[t.name] = v;
    }
    const out = await runShard(shard, shardFeeds);
    for (const t of shard.outputs) {
      const v = out[t.name];
      if (!v) throw new Error(`shard ${shard.index} of ${plan.model} did not return "${t.name}"`);
      values.set(t.name, v);
    }
    for (const [name, last] of lastUse) if (last <= i) values.delete(name);
  }
  const result: Record<string, TensorData> = {};
  for (const name of outputNames) {
    const v = values.get(name);
    if (!v) throw new Error(`no shard of ${plan.model} produces the output "${name}"`);
    result[name] = v;
  }
  return result;
}
