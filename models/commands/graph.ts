/// <reference types="node" />
/**
 * Graph surgery from the command line:
 *   inflate [--from DIR] [--out DIR]                         every stripped look-alike in DIR -> full size in --out
 *   split <file> --outputs a,b [--inputs c,d] [--rename a=x] [--out F]   the subgraph between named tensors
 *   shard <file|id> --budget-mb N [--out DIR] [--opt-level L] [--input name=d0xd1x...]   shards + shard plan JSON
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ShardPlan } from '../../shared/onnx/shard-plan';
import { sha256Hex } from '../../shared/store/sha256';
import { syntheticInput } from '../../shared/onnx/synthetic';
import { extractModel } from '../graph/extract';
import { inflateModel } from '../graph/inflate';
import { type OptLevel, runFresh } from '../graph/measure';
import { decodeModel, describeValue, DTYPE_NAME, encodeModel } from '../graph/proto';
import { GraphCutter } from '../graph/shard';
import { RECIPES } from '../lookalike/recipes';
import { DEFAULT_CACHE, DEFAULT_SHARED } from './lookalikes';

const MiB = 2 ** 20;

export async function inflateDir(from: string, out: string, log: (line: string) => void): Promise<void> {
  const files = (await readdir(from)).filter((f) => f.endsWith('.onnx')).sort();
  if (!files.length) throw new Error(`no .onnx files in ${from}`);
  await mkdir(out, { recursive: true });
  for (const f of files) {
    const model = decodeModel(new Uint8Array(await readFile(join(from, f))));
    const r = inflateModel(model);
    const bytes = encodeModel(model);
    await writeFile(join(out, f), bytes);
    log(`${f}: ${r.weights} weights, ${(bytes.length / MiB).toFixed(1)} MiB, sha256 ${await sha256Hex(bytes)}`);
  }
}

export const DEFAULT_INFLATE = { from: `${DEFAULT_SHARED}/stripped`, out: `${DEFAULT_CACHE}/inflated` };

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

export async function split(file: string, o: { outputs?: string; inputs?: string; rename?: string[]; out?: string }, log: (line: string) => void): Promise<void> {
  const model = decodeModel(new Uint8Array(await readFile(file)));
  const outputs = list(o.outputs);
  if (!outputs.length) throw new Error('split needs --outputs a,b');
  const inputs = o.inputs ? list(o.inputs) : model.graph!.input!.map((i) => i.name!);
  const renames = Object.fromEntries((o.rename ?? []).map((r) => r.split('=') as [string, string]));
  const part = extractModel(model, { inputs, outputs, renames });
  const bytes = encodeModel(part);
  const out = o.out ?? file.replace(/\.onnx$/, '.part.onnx');
  await writeFile(out, bytes);
  log(`${out}: ${part.graph!.node!.length} nodes, inputs ${part.graph!.input!.map((i) => i.name).join(', ')}, outputs ${part.graph!.output!.map((i) => i.name).join(', ')}, ${(bytes.length / MiB).toFixed(1)} MiB, sha256 ${await sha256Hex(bytes)}`);
}

export async function shard(target: string, o: { budgetMiB: number; out?: string; optLevel?: OptLevel; inputDims?: string[]; cache?: string }, log: (line: string) => void): Promise<ShardPlan> {
  const recipe = RECIPES.find((r) => r.id === target);
  const path = recipe ? join(o.cache ?? DEFAULT_CACHE, recipe.key) : target;
  const bytes = new Uint8Array(await readFile(path));
  const model = decodeModel(bytes);
  const level = o.optLevel ?? recipe?.graphOptimizationLevel ?? 'all';
  const dims = Object.fromEntries((o.inputDims ?? []).map((d) => { const [k, v] = d.split('='); return [k, v.split('x').map(Number)]; }));
  // feeds: the recipe's (real sizes), else synthetic ones from the graph's own input shapes (named dims -> 1)
  const feeds = recipe?.feeds() ?? Object.fromEntries(model.graph!.input!.filter((i) => !model.graph!.initializer!.some((t) => t.name === i.name)).map((i) => {
    const d = describeValue(i);
    const shape = dims[i.name!] ?? d.shape ?? [];
    return [i.name!, syntheticInput({ name: i.name!, type: DTYPE_NAME[d.dataType] ?? 'float32', shape }, undefined)];
  }));
  const budgetBytes = o.budgetMiB * MiB;
  const run = (b: Uint8Array, f: typeof feeds, outputs?: string[]) => runFresh(b, f, { outputs, graphOptimizationLevel: level });
  const cutter = new GraphCutter(model);
  const built = await cutter.plan({ budgetBytes, feeds, altFeeds: recipe?.altFeeds?.(), dynamicDim: recipe?.dynamicDim, run, log });
  const out = o.out ?? path.replace(/\.onnx$/, '.shards');
  await mkdir(out, { recursive: true });
  const stem = basename(path).replace(/\.onnx$/, '');
  const plan: ShardPlan = { model: recipe?.id ?? stem, budgetBytes, shards: [] };
  for (const s of built) {
    const key = `${stem}.shard-${s.index}.onnx`;
    await writeFile(join(out, key), s.bytes);
    plan.shards.push({ index: s.index, file: { key, bytes: s.bytes.length, sha256: await sha256Hex(s.bytes), origin: null }, inputs: s.inputs, outputs: s.outputs,
      memory: { peakWasmBytes: s.peakHeapBytes, basis: `measured: create + one run in a fresh onnxruntime-web copy (Node), graph optimisation ${level}` } });
    log(`shard ${s.index}: nodes ${s.start}–${s.end}, ${(s.bytes.length / MiB).toFixed(1)} MiB, peak ${(s.peakHeapBytes / MiB).toFixed(1)} MiB, inputs ${s.inputs.map((t) => t.name).join(', ')}, ${(s.crossingBytes / MiB).toFixed(2)} MiB cross its end`);
  }
  await writeFile(join(out, `${stem}.plan.json`), `${JSON.stringify(plan, null, 1)}\n`);
  log(`wrote ${built.length} shards and ${stem}.plan.json to ${out}`);
  return plan;
}
