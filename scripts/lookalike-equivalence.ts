/// <reference types="node" />
/**
 * `npx tsx scripts/lookalike-equivalence.ts [--dir .cache/lookalikes] [--shared DIR]`: on the inflated look-alikes
 * built by `npm run models -- lookalikes` (too large for every CI run), shows that
 *  - each sharded entry's chain of shards (runShardChain, each shard in a fresh ORT copy) reproduces its whole graph;
 *  - OWL-ViT in parts (image part, query part, class head in JS) reproduces the one-graph look-alike's logits and boxes.
 * Prints the max relative difference per output (relative to the largest |value| of that output).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CACHE, DEFAULT_SHARED } from '../models/commands/lookalikes';
import { runFresh } from '../models/graph/measure';
import { encodeModel } from '../models/graph/proto';
import { inflateModel } from '../models/graph/inflate';
import { decodeModel } from '../models/graph/proto';
import { RECIPES } from '../models/lookalike/recipes';
import { LOOKALIKES } from '../models/lookalikes';
import { runShardChain } from '../shared/onnx/shard-plan';
import type { TensorData } from '../shared/onnx/tensors';

const { values: v } = parseArgs({ options: { dir: { type: 'string' }, shared: { type: 'string' } } });
const dir = v.dir ?? DEFAULT_CACHE;
const shared = v.shared ?? DEFAULT_SHARED;

const diff = (a: TensorData, b: TensorData) => {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  if (x.length !== y.length) return Infinity;
  let scale = 0, m = 0;
  for (let i = 0; i < x.length; i++) { scale = Math.max(scale, Math.abs(x[i])); m = Math.max(m, Math.abs(x[i] - y[i])); }
  return m / Math.max(scale, 1e-12);
};

async function chain(id: string, feeds: Record<string, TensorData>): Promise<{ whole: Record<string, TensorData>; chained: Record<string, TensorData> }> {
  const e = LOOKALIKES.find((x) => x.id === id)!;
  const level = e.session?.graphOptimizationLevel ?? 'all';
  const whole = (await runFresh(new Uint8Array(await readFile(join(dir, e.files[0].key))), feeds, { graphOptimizationLevel: level })).outputs;
  if (!e.shards) return { whole, chained: whole };
  const chained = await runShardChain(e.shards, feeds, e.outputs.map((o) => o.name), async (s, f) =>
    (await runFresh(new Uint8Array(await readFile(join(dir, s.file.key))), f, { graphOptimizationLevel: level })).outputs);
  return { whole, chained };
}

const report = (what: string, a: Record<string, TensorData>, b: Record<string, TensorData>) => {
  for (const k of Object.keys(b)) console.log(`${what}: ${k} [${b[k].dims.join(', ')}] max relative difference ${diff(a[k], b[k]).toExponential(2)}`);
};

for (const e of LOOKALIKES.filter((x) => x.shards)) {
  const recipe = RECIPES.find((r) => r.id === e.id)!;
  const { whole, chained } = await chain(e.id, recipe.feeds());
  report(`${e.id}, ${e.shards!.shards.length} shards vs whole graph`, whole, chained);
}

// OWL-ViT: parts + JS head against the one graph (the batchable, inflated look-alike with its original outputs)
const owlImage = RECIPES.find((r) => r.id === 'lookalike-owlvit-b32-image')!;
const owlQuery = RECIPES.find((r) => r.id === 'lookalike-owlvit-b32-query')!;
const one = decodeModel(owlImage.prepare!(new Uint8Array(await readFile(join(shared, 'stripped', owlImage.source)))));
inflateModel(one);
const Q = 2;
const q = owlQuery.altFeeds!();
const pixels = owlImage.feeds();
const oneOut = (await runFresh(encodeModel(one), { ...pixels, ...q })).outputs;
const img = (await chain('lookalike-owlvit-b32-image', pixels)).chained;
const qry = (await chain('lookalike-owlvit-b32-query', q)).chained;
const P = 576, D = 512;
const e = img.image_class_embeds.data as Float32Array, sh = img.logit_shift.data as Float32Array, sc = img.logit_scale.data as Float32Array, qe = qry.query_embeds.data as Float32Array;
const logits = new Float32Array(P * Q);
for (let j = 0; j < Q; j++) {
  let n = 0;
  for (let d = 0; d < D; d++) n += qe[j * D + d] ** 2;
  const inv = 1 / (Math.sqrt(n) + 1e-6);
  for (let p = 0; p < P; p++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += e[p * D + d] * qe[j * D + d] * inv;
    logits[p * Q + j] = (dot + sh[p]) * sc[p];
  }
}
report('OWL-ViT parts (sharded) + JS head vs the one graph', oneOut, { logits: { type: 'float32', data: logits, dims: [1, P, Q] }, pred_boxes: img.pred_boxes });
