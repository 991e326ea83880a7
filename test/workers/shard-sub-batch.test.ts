/**
 * A shard never runs more rows than its plan measured: the runtime a shard Worker runs (functions/shard: the same
 * ModelRuntime.run on `model#shardN`) splits a call with more rows than the plan's `batch` into sub-batches inside
 * the one call, so the session runs ceil(N / rows) times and never holds more than the measured batch. A generated
 * two-shard graph with a positional value crossing the cut (an `arange(batch)` the second shard gathers rows with,
 * as the text towers' EOT pooling does) shows the chain still gives exactly the whole graph's outputs.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../shared/onnx/budget';
import type { MeasuredBatch, ModelEntry, ModelFile, TensorSpec } from '../../shared/onnx/manifest-types';
import { shardId } from '../../shared/onnx/model-parts';
import { ModelRuntime } from '../../shared/onnx/model-runtime';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { measuredBatch, runShardChain, type ShardPlan } from '../../shared/onnx/shard-plan';
import { concatAxis, rowsOf, sliceAxis } from '../../shared/onnx/sub-batch';
import type { TensorData } from '../../shared/onnx/tensors';
import { ModelStore } from '../../shared/store/model-store';
import { sha256Hex } from '../../shared/store/sha256';

const X: TensorSpec = { name: 'x', type: 'float32', shape: ['batch', 4] };
const A: TensorSpec = { name: 'a', type: 'float32', shape: ['batch', 4] };
const R: TensorSpec = { name: 'r', type: 'int64', shape: ['batch'] };
const Y: TensorSpec = { name: 'y', type: 'float32', shape: ['batch', 4] };
const T: TensorSpec = { name: 't', type: 'float32', shape: [4, 'batch'] }; // the batch on axis 1

// shard 0: a = 2x, r = arange(rows of x); shard 1: y = a[r] + 1, t = aᵀ
function addShard0(g: GraphBuilder, x: string) {
  const n = g.op('Gather', [g.op('Shape', [x]), g.i64([0], [])], { axis: 0 });
  return { a: g.op('Mul', [x, g.f32([2], [])]), r: g.op('Range', [g.i64([0], []), n, g.i64([1], [])]) };
}
const addShard1 = (g: GraphBuilder, a: string, r: string) => ({ y: g.op('Add', [g.op('Gather', [a, r], { axis: 0 }), g.f32([1], [])]), t: g.op('Transpose', [a], { perm: [1, 0] }) });

function whole(): Uint8Array {
  const g = new GraphBuilder('sub-batch-whole');
  const { a, r } = addShard0(g, g.input('x', 'float32', X.shape));
  const { y, t } = addShard1(g, a, r);
  g.output(y, 'y', 'float32', Y.shape);
  g.output(t, 't', 'float32', T.shape);
  return g.encode();
}
function shard0(): Uint8Array {
  const g = new GraphBuilder('sub-batch-shard0');
  const { a, r } = addShard0(g, g.input('x', 'float32', X.shape));
  g.output(a, 'a', 'float32', A.shape);
  g.output(r, 'r', 'int64', R.shape);
  return g.encode();
}
function shard1(): Uint8Array {
  const g = new GraphBuilder('sub-batch-shard1');
  const { y, t } = addShard1(g, g.input('a', 'float32', A.shape), g.input('r', 'int64', R.shape));
  g.output(y, 'y', 'float32', Y.shape);
  g.output(t, 't', 'float32', T.shape);
  return g.encode();
}

const BYTES: Record<string, Uint8Array> = { 'test/whole.onnx': whole(), 'test/shard0.onnx': shard0(), 'test/shard1.onnx': shard1() };
const file = async (key: string): Promise<ModelFile> => ({ key, bytes: BYTES[key].length, sha256: await sha256Hex(BYTES[key]), origin: null });
const memory = { peakWasmBytes: 1, basis: 'test' };

async function runtime(batch: MeasuredBatch | undefined): Promise<{ rt: ModelRuntime; plan: ShardPlan }> {
  const plan: ShardPlan = {
    model: 'toy', budgetBytes: 128 * 2 ** 20, ...(batch ? { batch } : {}),
    shards: [
      { index: 0, file: await file('test/shard0.onnx'), inputs: [X], outputs: [A, R], memory },
      // as in the look-alike text tower's last shard, the file names the output's dimensions its own way; the
      // entry's contract (below) says which one is the batch
      { index: 1, file: await file('test/shard1.onnx'), inputs: [A, R], outputs: [{ ...Y, shape: ['y_0', 'y_1'] }, T], memory },
    ],
  };
  const entry: ModelEntry = {
    id: 'toy', set: 'fixtures', title: 'sub-batch toy', role: 'test', files: [await file('test/whole.onnx')], inputs: [X], outputs: [Y, T],
    preprocessing: { kind: 'prompt', frame: 'none', maskThreshold: 0, notes: 'test' }, memory, shards: plan,
  };
  const origin = { description: 'generated', locate: (f: ModelFile) => `generated:${f.key}`, fetch: async (_e: ModelEntry, f: ModelFile) => BYTES[f.key] };
  return { plan, rt: new ModelRuntime({ set: 'fixtures', entries: [entry], store: new ModelStore({ origin }), provider: workerdOrt, budget: new MemoryBudget(128 * 2 ** 20) }) };
}

const rowsOfX = (n: number): Record<string, TensorData> => ({ x: { type: 'float32', data: Float32Array.from({ length: n * 4 }, (_, i) => i * 0.5 - 3), dims: [n, 4] } });
/** The chain as a stage Worker runs it over the shard Workers, each shard through the runtime a shard Worker runs. */
const chain = ({ rt, plan }: { rt: ModelRuntime; plan: ShardPlan }, feeds: Record<string, TensorData>) => runShardChain(plan, feeds, ['y', 't'], (s, f) => rt.run(shardId('toy', s.index), f));
const plain = (t: TensorData) => ({ dims: [...t.dims], data: Array.from(t.data as Float32Array) });

describe('shards run at most their plan\'s measured batch per session run', () => {
  it('37 rows on a plan measured at 8: ceil(37/8) runs per shard, outputs exactly the whole graph\'s', async () => {
    const split = await runtime({ dim: 'batch', rows: 8 });
    const { rt: oneRun } = await runtime(undefined);
    const got = await chain(split, rowsOfX(37));
    const want = await oneRun.run('toy', rowsOfX(37)); // the whole graph in one run
    expect(oneRun.sessionRuns).toBe(1);
    expect(split.rt.sessionRuns).toBe(2 * Math.ceil(37 / 8));
    expect(got.y.dims).toEqual([37, 4]);
    expect(got.t.dims).toEqual([4, 37]);
    expect(plain(got.y)).toEqual(plain(want.y));
    expect(plain(got.t)).toEqual(plain(want.t));
  });

  it('as many rows as measured, or fewer: one run per shard; one more: two', async () => {
    for (const [rows, runs] of [[8, 2], [3, 2], [9, 4]]) {
      const split = await runtime({ dim: 'batch', rows: 8 });
      await chain(split, rowsOfX(rows));
      expect(split.rt.sessionRuns, `${rows} rows`).toBe(runs);
    }
  });

  it('a plan that states no batch runs every call whole (the shard files have no free batch to split)', async () => {
    const whole = await runtime(undefined);
    await chain(whole, rowsOfX(37));
    expect(whole.rt.sessionRuns).toBe(2);
  });
});

describe('sub-batch tensor helpers', () => {
  const t: TensorData = { type: 'int64', data: BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 5n]), dims: [2, 3] };
  it('slices and joins along any axis', () => {
    const parts = [sliceAxis(t, 1, 0, 2), sliceAxis(t, 1, 2, 3)];
    expect(parts.map((p) => [p.dims, Array.from(p.data as BigInt64Array)])).toEqual([[[2, 2], [0n, 1n, 3n, 4n]], [[2, 1], [2n, 5n]]]);
    const back = concatAxis(parts, 1);
    expect([back.dims, Array.from(back.data as BigInt64Array)]).toEqual([[2, 3], Array.from(t.data as BigInt64Array)]);
  });
  it('refuses inputs that disagree on the batch', () => {
    const specs: TensorSpec[] = [{ name: 'p', type: 'int64', shape: ['b', 3] }, { name: 'q', type: 'int64', shape: [3, 'b'] }];
    expect(() => rowsOf(specs, { p: t, q: t }, { dim: 'b', rows: 1 })).toThrow(/disagree on "b": 2 rows, and 3 in "q"/);
    expect(rowsOf(specs, { p: t }, { dim: 'b', rows: 1 })).toBe(2);
  });
});

describe('measuredBatch (what the look-alike build writes into a plan)', () => {
  const i64 = (dims: number[]): TensorData => ({ type: 'int64', data: new BigInt64Array(dims.reduce((a, b) => a * b, 1)), dims });
  const cut = [{ inputs: [{ name: 'ids', type: 'int64', shape: ['n', 16] }], outputs: [{ name: 'h', type: 'int64', shape: ['n', 16, 4] }] }] as { inputs: TensorSpec[]; outputs: TensorSpec[] }[];
  it('is the size every tensor labelled with the dimension had', () => {
    const values: Record<string, TensorData> = { ids: i64([8, 16]), h: i64([8, 16, 4]) };
    expect(measuredBatch(cut, (n) => values[n], 'n')).toEqual({ dim: 'n', rows: 8 });
    expect(measuredBatch(cut, (n) => values[n], 'other')).toBeUndefined();
  });
  it('is undefined where a tensor labelled with it is really rows x tokens (OWL-ViT query\'s flattened mask): no split', () => {
    const flattened = [{ ...cut[0], outputs: [{ name: 'flat', type: 'bool', shape: ['n', 1] }] }] as typeof cut;
    const values: Record<string, TensorData> = { ids: i64([8, 16]), flat: i64([128, 1]) };
    expect(measuredBatch(flattened, (n) => values[n], 'n')).toBeUndefined();
  });
});
