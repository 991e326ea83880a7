/// <reference types="node" />
/**
 * Peak wasm heap of each shard of the look-alike text towers at larger batches than the plan measured (8 rows): the
 * memory cost of running more rows per shard invocation (fewer stage calls, negatives in the first call's batch).
 * Each shard runs in a fresh onnxruntime-web copy (Node), fed by the previous shard's outputs, as the chain runs them.
 *
 *   npx tsx scripts/measure/shard-batch-memory.ts [--rows 8,37,69] [--queries 8,16,32] [--sub-batch]
 * --sub-batch: run each shard as the runtime does, in sub-batches of its plan's measured batch (shared/onnx/sub-batch.ts),
 * in one session of one ORT copy, so the peak printed is what a shard Worker needs for that many rows.
 * Needs the built look-alikes in .cache/lookalikes (npm run models -- lookalikes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOOKALIKES } from '../../models/lookalikes';
import { runFresh, type OptLevel } from '../../models/graph/measure';
import { shardEntry } from '../../shared/onnx/model-parts';
import type { TensorData } from '../../shared/onnx/tensors';

const MiB = 2 ** 20;
const { values: v } = parseArgs({ options: { rows: { type: 'string', default: '8,37,69' }, queries: { type: 'string', default: '8,16,32' }, dir: { type: 'string', default: '.cache/lookalikes' }, 'sub-batch': { type: 'boolean', default: false } } });

const i64 = (dims: number[], f: (i: number) => number): TensorData => {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) data[i] = BigInt(f(i));
  return { type: 'int64', data, dims };
};
// the rows the recipes measure with: BOS, a few tokens, EOS, padding
const tokens = (rows: number, len: number) => i64([rows, len], (i) => { const k = i % len; return k === 0 ? 49406 : k < 6 ? 320 + k + (Math.floor(i / len) % 7) : k === 6 ? 49407 : 0; });
const mask = (rows: number, len: number) => i64([rows, len], (i) => (i % len <= 6 ? 1 : 0));

async function chain(id: string, feeds: Record<string, TensorData>, label: string) {
  const entry = LOOKALIKES.find((e) => e.id === id)!;
  const level = (entry.session?.graphOptimizationLevel ?? 'all') as OptLevel;
  const values = new Map(Object.entries(feeds));
  for (const s of entry.shards!.shards) {
    const bytes = new Uint8Array(readFileSync(join(v.dir!, s.file.key)));
    const shardFeeds = Object.fromEntries(s.inputs.map((t) => [t.name, values.get(t.name)!]));
    const model = v['sub-batch'] ? shardEntry(entry, s.index) : undefined;
    const r = await runFresh(bytes, shardFeeds, { outputs: s.outputs.map((o) => o.name), graphOptimizationLevel: level, model });
    for (const [k, t] of Object.entries(r.outputs)) values.set(k, t);
    const total = r.peakHeapBytes + bytes.length;
    console.log(`${id} ${label} shard ${s.index}${model ? ` (${r.runs} sub-batch runs)` : ''}: peak ${(r.peakHeapBytes / MiB).toFixed(1)} MiB (plan ${(s.memory.peakWasmBytes / MiB).toFixed(1)}) + file ${(bytes.length / MiB).toFixed(1)} = ${(total / MiB).toFixed(1)} MiB ${total <= 128 * MiB ? '<= 128' : 'OVER 128'}`);
  }
}

for (const rows of v.rows!.split(',').map(Number)) await chain('lookalike-clip-b32-text', { input_ids: tokens(rows, 77) }, `${rows} rows`);
for (const q of v.queries!.split(',').map(Number)) await chain('lookalike-owlvit-b32-query', { input_ids: tokens(q, 16), attention_mask: mask(q, 16) }, `${q} queries`);
