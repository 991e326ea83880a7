/// <reference types="node" />
/**
 * `npx tsx scripts/measure/isolates.ts [--set lookalikes] [--persist .wrangler/state] [--runs N --llm-ms 1500]`
 *
 * Memory per isolate, one Worker per workerd process (as the platform places isolates): every Worker of the split
 * deployment (infra/workers.ts) is started alone in its own workerd through the Miniflare API (infra/miniflare.ts,
 * layout per-worker, linked by a dev registry), callees first. The model files come from the local R2 in --persist
 * (`npm run models -- lookalikes --publish-local` puts them there; `npm start` does it too).
 *
 *  - cold start of each part and shard Worker: from starting its workerd to the answer of POST /load (download from
 *    the local R2, hash check, session created), one after another so that they do not share the 2 cores;
 *  - then one POST /v1/recognize with masks through the api (recorded LLM, a post with --entities entities), which
 *    runs every piece once;
 *  - then per Worker: workerd's RSS now and its peak (VmHWM, /proc), and for each piece its ORT wasm heap (/healthz).
 * With --runs N, afterwards: N more recognize requests (masks on, each with a new image, LLM answering after --llm-ms),
 * with their medians: end to end, "recognize" and the prepares, in this layout (indicative: 2 cores for all of it).
 * Every piece must stay under the 128 MB isolate limit: RSS is an upper bound (it also counts workerd itself and the
 * compiled ORT code, see the bare-ORT row of docs/benchmarks.md), the wasm heap a lower one. A bare workerd (the same
 * Miniflare, a trivial Worker, one request served) is measured first, and each piece is also reported as its peak RSS
 * minus that baseline: what the piece adds to a process that already exists before any isolate loads anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { seedApiKey, startSplit, stopSplit } from '../../infra/miniflare';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { cutBytes } from './cuts';
import type { WorkerDecl } from '../../infra/workers';
import { startLlmServer } from '../../test/llm-server/server';
import { UNIT_RECORDINGS } from '../../test/llm-server/unit-recordings';
import { imageToWire } from '../../shared/stages/wire';
import { IMAGE, prepareImage, procMemBytes, WORK } from '../bench/pipeline';

const { values: v } = parseArgs({ options: { set: { type: 'string' }, persist: { type: 'string' }, runs: { type: 'string' }, 'llm-ms': { type: 'string' } } });
const RUNS = Number(v.runs ?? 0);
const LLM_MS = Number(v['llm-ms'] ?? 1500);
const SET = v.set ?? 'lookalikes';
const PERSIST = v.persist ?? '.wrangler/state';
const MB = 1e6;
const MiB = 2 ** 20;
const LIMIT = 128 * MiB;

export function workerdChildren(): Set<string> {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, c]) => c === 'workerd').map(([p]) => p));
}

interface Row { w: WorkerDecl; pid: string; readyMs: number; loadMs?: number; idleRss: number; heap?: number; rss?: number; peak?: number }

async function json<T>(mf: Miniflare, path: string, init?: RequestInit): Promise<T> {
  const res = await mf.dispatchFetch(`http://piece${path}`, init as never);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

const post = UNIT_RECORDINGS.find((r) => r.id === 'u3')!;
mkdirSync(WORK, { recursive: true });
const { jpeg, rgba } = await prepareImage();
const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
const rows: Row[] = [];

// the runtime's own share of a process: workerd with a trivial Worker that has served one request
const bare = new Miniflare(convertV4MiniflareOptions({ modules: true, script: 'export default { fetch: () => new Response("ok") }', compatibilityDate: '2026-07-20' } as never));
await bare.ready;
await (await bare.dispatchFetch('http://bare/')).text();
const barePid = [...workerdChildren()][0];
if (!barePid) throw new Error('no workerd process for the bare Worker');
const baseline = procMemBytes(barePid);
await bare.dispose();
console.error(`bare workerd (trivial Worker, one request): RSS ${(baseline.rss / 2 ** 20).toFixed(1)} MiB, peak ${(baseline.peak / 2 ** 20).toFixed(1)} MiB`);
console.error(`starting every Worker of MODEL_SET=${SET} in its own workerd (callees first)`);
const split = await startSplit({
  env: { MODEL_SET: SET, MODEL_STORE: 'r2' },
  layout: 'per-worker',
  persist: PERSIST,
  // with --runs, every LLM answer comes after LLM_MS (the recorded server's `slow` behaviour), the first one included
  apiVars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: RUNS > 0 ? `slow?delay_ms=${LLM_MS}` : 'recorded' },
  onStarted: async (w, mf, readyMs) => {
    const known = new Set(rows.map((r) => r.pid));
    const pid = [...workerdChildren()].find((p) => !known.has(p));
    if (!pid) throw new Error(`no new workerd process for ${w.name}`);
    const row: Row = { w, pid, readyMs, idleRss: procMemBytes(pid).rss };
    if (w.hosts) {
      const t0 = performance.now();
      await json(mf, '/load', { method: 'POST' });
      row.loadMs = performance.now() - t0;
    }
    rows.push(row);
    console.error(`  ${w.name}: workerd ready in ${readyMs.toFixed(0)} ms${row.loadMs !== undefined ? `, loaded in ${row.loadMs.toFixed(0)} ms` : ''}`);
  },
});
try {
  const key = await seedApiKey(split.mf, 'isolates');
  const body0 = JSON.stringify({ text: post.text, image: { data: Buffer.from(jpeg).toString('base64'), media_type: 'image/jpeg' }, options: { masks: true } });
  const t0 = performance.now();
  const res = await split.mf.dispatchFetch('http://localhost/v1/recognize', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body0 });
  const body = (await res.json()) as { entities?: { text: string; name?: string; box?: unknown; mask?: unknown }[]; timings_ms?: Record<string, number> };
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`recognize answered ${res.status}: ${JSON.stringify(body).slice(0, 800)}`);
  const ents = body.entities ?? [];
  console.log(`POST /v1/recognize (masks, ${ents.length} entities, warm pieces): ${res.status} in ${ms.toFixed(0)} ms; ` +
    `boxes ${ents.filter((e) => e.box).length}, masks ${ents.filter((e) => e.mask).length}; timings ${JSON.stringify(body.timings_ms)}`);

  // the stage Workers called directly too (as the api does), with the post's entities and fixed boxes: a ground and a
  // segment run whatever the look-alike's open gate and random boxes gave the request above
  const image = imageToWire({ width: IMAGE.width, height: IMAGE.height, data: rgba });
  const stage = async (name: string, path: string, extra: object) => {
    const t = performance.now();
    const r = await split.instances.get(name)!.dispatchFetch(`http://stage${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image, image_key: 'isolates', ...extra }) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${name}${path} answered ${r.status}: ${text.slice(0, 500)}`);
    return { ms: performance.now() - t, body: JSON.parse(text) as { results: unknown[] } };
  };
  const expressions = ents.map((e) => e.text);
  const g = await stage('gmner-ground', '/v1/ground', { expressions });
  const boxes = expressions.map((_, i) => ({ x1: 100 + 50 * i, y1: 100, x2: 400 + 50 * i, y2: 500 }));
  const sg = await stage('gmner-segment', '/v1/segment', { boxes, output: { width: IMAGE.width, height: IMAGE.height } });
  console.log(`ground stage, ${expressions.length} expressions: ${g.ms.toFixed(0)} ms, ${g.body.results.filter(Boolean).length} boxes; ` +
    `segment stage, ${boxes.length} boxes: ${sg.ms.toFixed(0)} ms, ${sg.body.results.length} masks`);

  for (const r of rows) {
    const m = procMemBytes(r.pid);
    r.rss = m.rss;
    r.peak = m.peak;
    if (r.w.hosts) r.heap = (await json<{ wasm_heap_bytes: number }>(split.instances.get(r.w.name)!, '/healthz')).wasm_heap_bytes;
  }
  const order = (r: Row) => ['api', 'stage', 'part', 'shard'].indexOf(r.w.kind);
  rows.sort((a, b) => order(a) - order(b));
  const f = (b?: number) => (b === undefined ? '–' : (b / MiB).toFixed(1));
  const entries = await modelSetFromEnv({ MODEL_SET: SET }).entries;
  const fileBytes = (w: WorkerDecl) => {
    const e = entries.find((x) => x.id === w.hosts!.model)!;
    const files = w.hosts!.shard !== undefined ? [e.shards!.shards[w.hosts!.shard].file] : e.files;
    return files.reduce((a, x) => a + (x.bytes ?? 0), 0);
  };
  console.log('');
  console.log(`Bare workerd (the same Miniflare, a trivial Worker, one request served): RSS ${f(baseline.rss)} MiB, peak ${f(baseline.peak)} MiB.\n`);
  console.log('| Worker | hosts | ORT wasm heap MiB (planned) | heap + file MiB | headroom to 128 MiB (heap + file) | workerd RSS idle / after MiB | workerd peak RSS MiB | peak RSS − idle MiB | peak RSS − bare workerd MiB | cold start ms (workerd ready + load from local R2) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const hosts = r.w.hosts ? `${r.w.hosts.model}${r.w.hosts.shard !== undefined ? ` #${r.w.hosts.shard}` : ''}` : r.w.kind;
    const sum = r.w.hosts ? r.heap! + fileBytes(r.w) : undefined;
    const head = sum === undefined ? '–' : LIMIT - sum >= 0 ? f(LIMIT - sum) : `**over by ${f(sum - LIMIT)}**`;
    console.log(`| ${r.w.name} | ${hosts} | ${r.w.hosts ? `${f(r.heap)} (${f(r.w.hosts.peakWasmBytes)})` : '–'} | ${f(sum)} | ${head} | ${f(r.idleRss)} / ${f(r.rss)} | ${f(r.peak)} | ${f(r.peak! - r.idleRss)} | ${f(r.peak! - baseline.rss)} | ${r.loadMs !== undefined ? `${r.readyMs.toFixed(0)} + ${r.loadMs.toFixed(0)}` : r.readyMs.toFixed(0)} |`);
  }
  const pieces = rows.filter((r) => r.w.hosts);
  const over = pieces.filter((r) => r.peak! - r.idleRss > LIMIT);
  const heapOver = pieces.filter((r) => r.heap! > LIMIT);
  const overBare = pieces.filter((r) => r.peak! - baseline.rss > LIMIT);
  console.log('');
  console.log(`${rows.length} Workers, ${pieces.length} model parts and shards. Largest ORT wasm heap ${f(Math.max(...pieces.map((r) => r.heap!)))} MiB; ` +
    `largest workerd peak RSS of a piece ${f(Math.max(...pieces.map((r) => r.peak!)))} MiB; pieces whose RSS grew by more than 128 MiB: ${over.length ? over.map((r) => r.w.name).join(', ') : 'none'}; by wasm heap: ${heapOver.length ? heapOver.map((r) => r.w.name).join(', ') : 'none'}; ` +
    `by peak RSS over a bare workerd's (${f(baseline.rss)} MiB): ${overBare.length ? overBare.map((r) => r.w.name).join(', ') : 'none'}, largest ${f(Math.max(...pieces.map((r) => r.peak! - baseline.rss)))} MiB. ` +
    `(${(MB / MiB).toFixed(3)} MiB per MB.)`);
  const cuts = cutBytes(entries);
  console.log('');
  console.log('| sharded model | shards | bytes crossing each cut (shard → stage → next shard: 2 RPC hops each) | largest | sum per run |');
  console.log('|---|---:|---|---:|---:|');
  for (const e of entries.filter((x) => x.shards)) {
    const c = cuts.filter((x) => x.model === e.id).map((x) => x.bytes);
    console.log(`| ${e.id} | ${e.shards!.shards.length} | ${c.map((b) => (b / MiB).toFixed(2)).join(', ')} MiB | ${(Math.max(...c) / MiB).toFixed(2)} MiB | ${(c.reduce((a, b) => a + b, 0) / MiB).toFixed(2)} MiB |`);
  }
  const top = cuts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  console.log(`\nLargest value crossing any boundary: ${(top.bytes / MiB).toFixed(2)} MiB after shard ${top.after} of ${top.model} (${top.tensors}), ${(100 * top.bytes / (32 * MiB)).toFixed(0)} % of the 32 MiB RPC limit.`);
  if (RUNS > 0) {
    const totals: Record<string, number[]> = {};
    for (let i = 0; i < RUNS; i++) {
      // a new image per post: a different last entropy-coded byte, so a new image key (caches miss), same size
      const bytes = new Uint8Array(jpeg);
      bytes[bytes.length - 3] ^= i + 1;
      const body = JSON.stringify({ text: post.text, image: { data: Buffer.from(bytes).toString('base64'), media_type: 'image/jpeg' }, options: { masks: true } });
      const r = await split.mf.dispatchFetch('http://localhost/v1/recognize', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      const b = (await r.json()) as { timings_ms?: Record<string, number> };
      if (r.status !== 200) throw new Error(`run ${i + 1}: ${r.status} ${JSON.stringify(b).slice(0, 400)}`);
      for (const [key, ms] of Object.entries(b.timings_ms ?? {})) (totals[key] ??= []).push(ms);
      console.error(`  run ${i + 1}/${RUNS}: ${JSON.stringify(b.timings_ms)}`);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`\n${RUNS} posts, masks on, ${post.text.length}-character post, LLM at ${LLM_MS} ms, every Worker in its own workerd; medians (ms): ` +
      Object.entries(totals).map(([key, xs]) => `${key} ${med(xs)}`).join(', '));
  }
} finally {
  await stopSplit(split);
  await llm.close();
}
