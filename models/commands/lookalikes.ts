/// <reference types="node" />
/**
 * `models lookalikes [ids] [--shared DIR] [--out DIR] [--budget-mb N] [--pin] [--force] [--publish-local [--persist-to DIR]]`
 *
 * Builds every file of the `lookalikes` set into the cache (default .cache/lookalikes): inflated, adapted to the
 * default set's contracts, measured in a fresh ORT copy, and cut into shards where the measured peak exceeds the
 * budget. Idempotent: a file already in the cache with its pinned hash is not rebuilt (--force rebuilds).
 * Generation is deterministic, so a rebuilt file must have its pinned hash; a difference is an error unless --pin,
 * which writes models/lookalikes.pins.json (hashes, sizes, measured peaks, shard plans) from this build.
 * --publish-local puts every file into the local R2 bucket of `npm start` (the state wrangler keeps in --persist-to,
 * default .wrangler/state), skipping objects already there with the pinned SHA-256: `npm start` runs it every time.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import type { ModelFile } from '../../shared/onnx/manifest-types';
import { measuredBatch, type ShardPlan } from '../../shared/onnx/shard-plan';
import { DEFAULT_BUDGET_MB } from '../../shared/onnx/budget';
import { sha256Hex } from '../../shared/store/sha256';
import { runFresh } from '../graph/measure';
import { encodeModel } from '../graph/proto';
import { GraphCutter } from '../graph/shard';
import { buildGraph, RECIPES, type LookalikeRecipe } from '../lookalike/recipes';
import { type LookalikePin, PINS_PATH, readPins } from '../lookalike/pins';

/** ../shared/lookalike-models beside the repository; LOOKALIKE_MODELS overrides (e.g. from a git worktree elsewhere). */
export const DEFAULT_SHARED = process.env.LOOKALIKE_MODELS ?? '../shared/lookalike-models';
export const DEFAULT_CACHE = '.cache/lookalikes';

export interface LookalikesOptions { ids: string[]; shared: string; out: string; budgetMiB: number; pin: boolean; force: boolean; publishLocal: boolean; persistTo?: string }

const MiB = 2 ** 20;
const basis = (what: string, level: string) => `measured: ${what}, create + one run in a fresh onnxruntime-web 1.30.0 copy (Node 22, wasm, 1 thread, arena and memory pattern off, graph optimisation ${level}), by npm run models -- lookalikes`;
const shardKey = (key: string, i: number) => key.replace(/\.onnx$/, `.shard-${i}.onnx`);

async function cachedOk(out: string, file: ModelFile): Promise<boolean> {
  const path = join(out, file.key);
  if (!file.sha256 || !existsSync(path)) return false;
  return (await sha256Hex(new Uint8Array(await readFile(path)))) === file.sha256;
}

async function isCached(out: string, pin: LookalikePin | undefined): Promise<boolean> {
  if (!pin) return false;
  for (const f of [pin.file, ...(pin.shards?.shards.map((s) => s.file) ?? [])]) if (!(await cachedOk(out, f))) return false;
  return true;
}

async function writeFileTo(out: string, key: string, bytes: Uint8Array): Promise<ModelFile> {
  const path = join(out, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return { key, bytes: bytes.length, sha256: await sha256Hex(bytes), origin: null };
}

export async function buildLookalike(recipe: LookalikeRecipe, o: LookalikesOptions, log: (line: string) => void): Promise<LookalikePin> {
  const stripped = new Uint8Array(await readFile(join(o.shared, 'stripped', recipe.source)));
  const model = buildGraph(recipe, stripped);
  const bytes = encodeModel(model);
  const file = await writeFileTo(o.out, recipe.key, bytes);
  const level = recipe.graphOptimizationLevel;
  const run = (b: Uint8Array, f: Parameters<typeof runFresh>[1], outputs?: string[]) => runFresh(b, f, { outputs, graphOptimizationLevel: level });
  const whole = await run(bytes, recipe.feeds());
  log(`${recipe.id}: ${(bytes.length / MiB).toFixed(1)} MiB, peak ${(whole.peakHeapBytes / MiB).toFixed(1)} MiB`);
  const pin: LookalikePin = { file, memory: { peakWasmBytes: whole.peakHeapBytes, basis: basis('the whole graph', level) }, session: { graphOptimizationLevel: level } };
  const budgetMiB = recipe.budgetMiB ?? o.budgetMiB;
  // the runtime admits a model only if its peak plus its file (held in JS while loading) fits the isolate
  const isolateBytes = DEFAULT_BUDGET_MB * MiB;
  if (whole.peakHeapBytes <= budgetMiB * MiB && whole.peakHeapBytes + bytes.length <= isolateBytes) return pin;
  const cutter = new GraphCutter(model);
  let built;
  try {
    built = await cutter.plan({ budgetBytes: budgetMiB * MiB, isolateBytes, feeds: recipe.feeds(), altFeeds: recipe.altFeeds?.(), dynamicDim: recipe.dynamicDim, run, maxCrossBytes: (recipe.maxCrossMiB ?? 8) * MiB, log: (l) => log(`  ${l}`) });
  } catch (e) {
    // served whole: the runtime refuses it under a budget it does not fit (model-over-budget), and says why
    const why = (e as Error).message;
    log(`${recipe.id}: NOT SHARDED under ${budgetMiB} MiB: ${why}`);
    pin.memory.basis += `. Not shardable under ${budgetMiB} MiB by contiguous cuts: ${why}`;
    return pin;
  }
  // the rows each shard's peak was measured at: the runtime never runs more than that at once (sub-batch.ts)
  const feeds = recipe.feeds();
  const batch = recipe.altFeeds ? measuredBatch(built, (n) => feeds[n] ?? cutter.probed.get(n) ?? whole.outputs[n], recipe.dynamicDim ?? 'batch') : undefined;
  const plan: ShardPlan = { model: recipe.id, budgetBytes: budgetMiB * MiB, ...(batch ? { batch } : {}), shards: [] };
  for (const s of built) {
    plan.shards.push({
      index: s.index, file: await writeFileTo(o.out, shardKey(recipe.key, s.index), s.bytes), inputs: s.inputs, outputs: s.outputs,
      memory: { peakWasmBytes: s.peakHeapBytes, basis: basis(`shard ${s.index} (nodes ${s.start}–${s.end}, ${(s.crossingBytes / MiB).toFixed(2)} MiB cross its end)`, level) },
    });
  }
  pin.shards = plan;
  // the entry's own figure stays the whole graph's (what loading files[0] in one isolate needs); each shard has its own
  pin.memory.basis += `. Served as ${built.length} shards, the largest needing ${(Math.max(...built.map((s) => s.peakHeapBytes)) / MiB).toFixed(1)} MiB (shards[].memory)`;
  return pin;
}

const hex = (b: ArrayBuffer | undefined) => (b ? Buffer.from(b).toString('hex') : null);

/**
 * One Miniflare over wrangler's local state (what `wrangler r2 object put --local` writes to), so that each object's
 * SHA-256 can be read first: a file already there with its pinned hash is skipped, a new one is put with the hash,
 * which R2 checks on the way in and keeps for the next start.
 */
export async function publishLocal(o: LookalikesOptions, files: ModelFile[], log: (line: string) => void): Promise<void> {
  const mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch: () => new Response(null, { status: 404 }) }',
    compatibilityDate: '2026-07-20',
    r2Buckets: { MODELS: 'gmner-models' },
    resourcePersistencePath: join(o.persistTo ?? '.wrangler/state', 'v3'),
  } as never));
  try {
    const bucket = await mf.getR2Bucket('MODELS');
    let skipped = 0;
    for (const f of files) {
      if (!f.sha256) throw new Error(`${f.key} has no pinned SHA-256 (npm run models -- lookalikes --pin)`);
      const head = await bucket.head(f.key);
      if (head && head.size === f.bytes && hex(head.checksums.sha256) === f.sha256) {
        skipped++;
        continue;
      }
      await bucket.put(f.key, await readFile(join(o.out, f.key)), { sha256: f.sha256 });
      log(`published ${f.key} to the local R2 bucket gmner-models`);
    }
    if (skipped) log(`${skipped} of ${files.length} files already in the local R2 bucket gmner-models with their pinned hash`);
  } finally {
    await mf.dispose();
  }
}

export async function lookalikes(o: LookalikesOptions, log: (line: string) => void): Promise<number> {
  const pins = await readPins();
  const recipes = o.ids.length ? o.ids.map((id) => RECIPES.find((r) => r.id === id) ?? (() => { throw new Error(`no look-alike recipe "${id}"; known: ${RECIPES.map((r) => r.id).join(', ')}`); })()) : RECIPES;
  let failed = 0;
  for (const r of recipes) {
    if (!o.force && !o.pin && (await isCached(o.out, pins[r.id]))) {
      log(`${r.id}: cached in ${o.out}, hashes match`);
      continue;
    }
    // only a build needs the stripped sources: a cache copied from elsewhere publishes without them
    if (!existsSync(join(o.shared, 'stripped'))) throw new Error(`no look-alike models at ${o.shared}/stripped (pass --shared DIR)`);
    const pin = await buildLookalike(r, o, log);
    const old = pins[r.id];
    const changed = [pin.file, ...(pin.shards?.shards.map((s) => s.file) ?? [])].filter((f, i) => (i === 0 ? old?.file.sha256 : old?.shards?.shards[i - 1]?.file.sha256) !== f.sha256);
    if (old && changed.length && !o.pin) {
      log(`${r.id}: MISMATCH with the pinned hashes for ${changed.map((f) => f.key).join(', ')} (generation changed? rerun with --pin to accept)`);
      failed++;
    }
    if (o.pin || !old) pins[r.id] = pin;
    if (o.pin) {
      await writeFile(PINS_PATH, `${JSON.stringify(pins, null, 1)}\n`);
      log(`wrote ${r.id} to ${PINS_PATH}`);
    }
  }
  if (o.publishLocal) {
    const files = recipes.flatMap((r) => [pins[r.id].file, ...(pins[r.id].shards?.shards.map((s) => s.file) ?? [])]);
    await publishLocal(o, files, log);
  }
  return failed ? 1 : 0;
}
