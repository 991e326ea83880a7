/// <reference types="node" />
/**
 * Peak onnxruntime-web wasm heap (create + one run) of each part and shard, each in a fresh Node process:
 *   npx tsx scripts/measure-heap.ts [ids...] [--dir .cache/lookalikes] [--budget-mb 128]   look-alike entries (default: all)
 *   npx tsx scripts/measure-heap.ts --file F.onnx [--feeds feeds.json] [--opt-level L]      one file (e.g. a shard), synthetic
 *                                                                                            inputs from its graph unless --feeds
 * Prints a Markdown table (file MiB, peak MiB, headroom to the budget) or, for --file, one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CACHE } from '../models/commands/lookalikes';
import { type OptLevel, runFresh } from '../models/graph/measure';
import { decodeModel, describeValue, DTYPE_NAME } from '../models/graph/proto';
import { LOOKALIKES } from '../models/lookalikes';
import { syntheticInput } from '../shared/onnx/synthetic';
import type { TensorData } from '../shared/onnx/tensors';
import { decodeFeeds, encodeFeeds, partsOf } from './graphs/feeds';

const MiB = 2 ** 20;
const { values: v, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' }, file: { type: 'string' }, feeds: { type: 'string' }, 'opt-level': { type: 'string' }, 'budget-mb': { type: 'string' } } });

async function measureFile(file: string, feedsPath: string | undefined, level: OptLevel) {
  const bytes = new Uint8Array(await readFile(file));
  let feeds: Record<string, TensorData>;
  if (feedsPath) feeds = decodeFeeds(await readFile(feedsPath, 'utf8'));
  else {
    const g = decodeModel(bytes).graph!;
    feeds = Object.fromEntries(g.input!.filter((i) => !g.initializer!.some((t) => t.name === i.name)).map((i) => {
      const d = describeValue(i);
      return [i.name!, syntheticInput({ name: i.name!, type: DTYPE_NAME[d.dataType] ?? 'float32', shape: d.shape ?? [] }, undefined)];
    }));
  }
  const r = await runFresh(bytes, feeds, { graphOptimizationLevel: level });
  return { file, bytes: bytes.length, peakHeapBytes: r.peakHeapBytes, createMs: Math.round(r.createMs), runMs: Math.round(r.runMs), graphOptimizationLevel: level, rssBytes: process.memoryUsage().rss };
}

if (v.file) {
  console.log(JSON.stringify(await measureFile(v.file, v.feeds, (v['opt-level'] ?? 'all') as OptLevel)));
} else {
  const dir = v.dir ?? DEFAULT_CACHE;
  const budget = Number(v['budget-mb'] ?? 128);
  const ids = positionals.length ? positionals : LOOKALIKES.map((e) => e.id);
  const tmp = await mkdtemp(join(tmpdir(), 'heap-'));
  console.log(`| model | part | file MiB | peak wasm heap MiB | headroom to ${budget} MiB | create ms | run ms |`);
  console.log('|---|---|---:|---:|---:|---:|---:|');
  try {
    for (const id of ids) {
      for (const p of await partsOf(id, dir)) {
        const feedsPath = join(tmp, 'feeds.json');
        await writeFile(feedsPath, encodeFeeds(p.feeds));
        // a fresh process per file: nothing of an earlier measurement is left in this one's heap
        const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1], '--file', p.file, '--feeds', feedsPath, '--opt-level', p.level], { encoding: 'utf8', maxBuffer: 1 << 20 });
        const r = JSON.parse(out.trim().split('\n').pop()!);
        console.log(`| ${id} | ${p.label} | ${(r.bytes / MiB).toFixed(1)} | ${(r.peakHeapBytes / MiB).toFixed(1)} | ${(budget - r.peakHeapBytes / MiB).toFixed(1)} | ${r.createMs} | ${r.runMs} |`);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
