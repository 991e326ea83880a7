/// <reference types="node" />
/**
 * `npm run bench -- pipeline [--runs N] [--llm-ms MS] [--entities 1,3,8] [--masks both|on|off] [--lookalikes DIR]
 *  [--lookalike-cache .cache/lookalikes] [--groundable F] [--phase all|pipeline|functions] [--prepare-delay-ms 0] [--json]`
 * With `--placement in-process,split-one,split-per-worker [--set fixtures|lookalikes]` it runs the product's api in
 * each placement instead (scripts/bench/pipeline-placement.ts); the phases below are then not run.
 *
 * The whole pipeline inside workerd (Miniflare API on a bench Worker built with wrangler, scripts/bench/pipeline-worker.ts)
 * against the recorded LLM server (test/llm-server, behaviour `slow?delay_ms=MS`), over the look-alike models, for
 * posts with each number of entities, with and without masks:
 *
 *  1. pipeline phase, one workerd: per post the real orchestrator (intake + recognition in parallel, prepare() while
 *     the LLM is in flight, then entail -> ground -> segment once per post) and the same inputs in RiVEG's order
 *     (recognition, one expansion call per entity one after another, then per entity entail, ground, segment; image
 *     encoders once). Per entity count one unmeasured warm-up post in each order (the first loads the sessions);
 *     then `runs` posts of each configuration, pipeline and RiVEG order alternating; a post whose LLM request had to
 *     be retried (a dropped keep-alive connection) is measured again. Per-stage medians, end-to-end medians, ratio.
 *  2. functions phase, a fresh workerd per function (api, ORT alone, entail, its two towers, ground, segment, the SAM
 *     decoder alone): loads its models, one cold prepare + call, then `runs` x (prepare on a new image + call with n
 *     entities) per n; latency medians, the peak ORT wasm heap, and workerd's peak RSS (VmHWM from /proc) over its
 *     RSS when idle. workerd runs with --expose-gc and collects between measured pieces (outside the timings).
 *
 * Every post brings a new image (image-level caches are cleared between posts; sessions stay loaded). The image is
 * a 1024 x 768 photo-like JPEG made here, decoded by the product's decoder inside the isolate (api, pipeline) or in
 * Node for the vision functions (they receive pixels, as over RPC).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { join, relative, resolve } from 'node:path';
import * as miniflare from 'miniflare';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode';
import { createDecoder } from '../../shared/image/decode';
import { nodeOrt } from '../../shared/onnx/ort-node';
import { startLlmServer } from '../../test/llm-server/server';
import { CLIP_TEXT_RECIPE, makeBatchable, verifyBatchable, type BatchableRecipe } from './batchable';
import type { LookalikeName } from './lookalike-stages';
import { benchPost, MAX_BENCH_ENTITIES } from './pipeline-posts';
import type { RunParams, RunResult, StageFn, StageParams, StageResult } from './pipeline-worker';
import { photo } from './test-card';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const WORK = join(ROOT, '.tmp', 'bench-pipeline');
const MB = 1e6;
const MiB = 2 ** 20;

export interface PipelineBenchOptions {
  runs: number;
  llmMs: number;
  entities: number[];
  masks: boolean[];
  lookalikes: string;
  /** Where `npm run models -- lookalikes` left the built look-alike set (the OWL-ViT parts come from there). */
  lookalikeCache: string;
  /** Fraction of each post's entities the bench entail stage calls groundable (the first round(f x n)). */
  groundable: number;
  phase: 'all' | 'pipeline' | 'functions';
  /** Diagnostic, pipeline order only: every stage's prepare() starts this many ms late (0: the orchestrator as it is). */
  prepareDelayMs: number;
}

/**
 * Which look-alike plays each model: from the look-alike manifest (key, full or stripped file), or a file of the
 * built look-alike set (`cache`, relative to --lookalike-cache), which has the default set's contracts.
 */
type Cast = { key: string; form: 'file' | 'stripped_file'; recipe?: BatchableRecipe; role: string } | { cache: string; role: string };
const CAST: Record<LookalikeName, Cast> = {
  'entail-vision': { key: 'mobileclip_s0_vision_approx_fastvit_mci0', form: 'file', role: 'MobileCLIP-S0 image tower' },
  'entail-text': { key: 'clip_b32_text', form: 'stripped_file', recipe: CLIP_TEXT_RECIPE, role: 'text tower (CLIP-B/32 text as stand-in for MobileCLIP-S0 text)' },
  'ground-image': { cache: 'lookalikes/owlvit-b32-image.onnx', role: 'OWL-ViT B/32 @768 image part (vision tower, class embeddings, boxes)' },
  'ground-query': { cache: 'lookalikes/owlvit-b32-query.onnx', role: 'OWL-ViT B/32 query part (text tower, 16-token queries)' },
  'segment-encoder': { key: 'mobilesam_approx_tinyvit5m_1024', form: 'stripped_file', role: 'MobileSAM image encoder (TinyViT-5M @1024)' },
  'segment-decoder': { key: 'sam_prompt_encoder_mask_decoder', form: 'file', role: 'SAM prompt encoder + mask decoder' },
};

export interface ModelFileInfo { name: LookalikeName; role: string; file: string; form: 'full int8' | 'stripped' | 'inflated'; bytes: number; realMB: number; batchable: boolean }

interface Lookalike { models: Record<string, { file?: string; stripped_file?: string; int8_MB: number }> }

// ---------------------------------------------------------------------------------------------------------------
// preparation: models, image, bundle

function prepareModels(dir: string, cacheDir: string, maxEntities: number, log: (l: string) => void): Promise<{ files: ModelFileInfo[]; bytes: Map<string, Uint8Array> }> {
  return (async () => {
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) throw new Error(`no look-alike manifest at ${manifestPath} (--lookalikes DIR)`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Lookalike;
    const files: ModelFileInfo[] = [];
    const bytes = new Map<string, Uint8Array>();
    const ort = (await nodeOrt.instantiate()).ort;
    for (const [name, cast] of Object.entries(CAST) as [LookalikeName, Cast][]) {
      if ('cache' in cast) {
        const path = join(cacheDir, cast.cache);
        if (!existsSync(path)) {
          throw new Error(`no ${path}: build the look-alike set first (npm run models -- lookalikes lookalike-owlvit-b32-image lookalike-owlvit-b32-query), or point --lookalike-cache at it`);
        }
        const data = new Uint8Array(readFileSync(path));
        bytes.set(name, data);
        files.push({ name, role: cast.role, file: relative(ROOT, path), form: 'inflated', bytes: data.length, realMB: data.length / MB, batchable: false });
        continue;
      }
      const m = manifest.models[cast.key];
      const rel = m?.[cast.form];
      if (!rel) throw new Error(`the look-alike manifest has no ${cast.form} for ${cast.key}`);
      const path = join(dir, rel);
      let data: Uint8Array = new Uint8Array(readFileSync(path));
      if (cast.recipe) {
        data = makeBatchable(data, cast.recipe).bytes;
        // the batch sizes the bench will use: text tower rows = expressions x 2 templates; OWL-ViT queries = entities
        const batches = name === 'entail-text' ? [1, 2 * maxEntities] : [1, maxEntities];
        log(`  ${rel}: batch dimension freed, checking batches ${batches.join(', ')} in onnxruntime-web (Node)`);
        if (name === 'entail-text') {
          await verifyBatchable(ort, data, batches, (b) => ({ input_ids: { type: 'int64', data: new BigInt64Array(b * 77).fill(5n), dims: [b, 77] } }), (b) => ({ text_embeds: [b, 512] }));
        } else {
          await verifyBatchable(ort, data, batches, (b) => ({
            input_ids: { type: 'int64', data: new BigInt64Array(b * 16).fill(5n), dims: [b, 16] },
            attention_mask: { type: 'int64', data: new BigInt64Array(b * 16).fill(1n), dims: [b, 16] },
            pixel_values: { type: 'float32', data: new Float32Array(3 * 768 * 768).fill(0.5), dims: [1, 3, 768, 768] },
          }), (b) => ({ logits: [1, 576, b], pred_boxes: [1, 576, 4] }));
        }
      }
      bytes.set(name, data);
      files.push({ name, role: cast.role, file: relative(ROOT, path), form: cast.form === 'file' ? 'full int8' : 'stripped', bytes: data.length, realMB: m.int8_MB, batchable: !!cast.recipe });
    }
    return { files, bytes };
  })();
}


export const IMAGE = { width: 1024, height: 768, quality: 85 };

export async function prepareImage(): Promise<{ jpeg: Uint8Array; rgba: Uint8Array }> {
  const require = createRequire(import.meta.url);
  const file = join(WORK, `photo-${IMAGE.width}x${IMAGE.height}-q${IMAGE.quality}.jpg`);
  if (!existsSync(file)) {
    // Node may compile wasm from bytes (a Worker may not): hand Emscripten the binary
    await initJpegEncoder({ wasmBinary: readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
    writeFileSync(file, new Uint8Array(await encodeJpeg(photo(IMAGE.width, IMAGE.height), { quality: IMAGE.quality, baseline: true })));
  }
  const jpeg = new Uint8Array(readFileSync(file));
  // workers-types (this tsconfig) declare no WebAssembly.Module constructor; Node has one
  const mod = (p: string) => new (WebAssembly.Module as unknown as new (b: Uint8Array) => WebAssembly.Module)(readFileSync(require.resolve(p)));
  const decoder = createDecoder({ jpeg: mod('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'), png: mod('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'), webp: mod('@jsquash/webp/codec/dec/webp_dec.wasm') });
  const img = await decoder.decode(jpeg, 'jpeg');
  return { jpeg, rgba: img.data };
}

function bundle(): string {
  const outdir = join(WORK, 'dist');
  const config = join(WORK, 'wrangler.toml');
  writeFileSync(config, [
    '# generated by scripts/bench/pipeline.ts: the pipeline bench Worker, run locally through the Miniflare API only',
    'name = "gmner-bench-pipeline"',
    `main = ${JSON.stringify(join(ROOT, 'scripts/bench/pipeline-worker.ts'))}`,
    'compatibility_date = "2026-07-20"',
    'send_metrics = false',
    '',
  ].join('\n'));
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, '--config', config], {
    cwd: ROOT, stdio: 'pipe',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', FORCE_COLOR: '0' },
  });
  return outdir;
}

// ---------------------------------------------------------------------------------------------------------------
// workerd through Miniflare, and its memory from /proc

type Mf = Pick<miniflare.Miniflare, 'ready' | 'dispatchFetch' | 'dispose'>;

function startWorkerd(outdir: string, bindings: Record<string, string>): Mf {
  // the bundle keeps onnxruntime's unused import(url) paths: list the modules instead of letting Miniflare walk them
  const modules = readdirSync(outdir).filter((f) => /\.(js|mjs|wasm)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(outdir, f) }) as const)
    .sort((a, b) => (a.path.endsWith('pipeline-worker.js') ? -1 : b.path.endsWith('pipeline-worker.js') ? 1 : 0));
  const v4 = { modulesRoot: outdir, modules, compatibilityDate: '2026-07-20', bindings };
  const m = miniflare as unknown as { Miniflare: new (o: unknown) => Mf; convertV4MiniflareOptions?: (o: unknown) => unknown };
  return new m.Miniflare(m.convertV4MiniflareOptions ? m.convertV4MiniflareOptions(v4) : v4);
}

function workerdPid(): string {
  const kids = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.trim().split(/\s+/));
  const pids = kids.filter(([, c]) => c === 'workerd').map(([p]) => p);
  if (pids.length !== 1) throw new Error(`expected one workerd child, found ${pids.length}`);
  return pids[0];
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function procMemBytes(pid: string): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The same of the workerd process, in MB (10^6 bytes). */
function mem(pid: string): { rss: number; peak: number } {
  const m = procMemBytes(pid);
  return { rss: m.rss / MB, peak: m.peak / MB };
}

async function post<T>(mf: Mf, path: string, params: unknown, body: Uint8Array): Promise<T> {
  const res = await mf.dispatchFetch(`http://bench${path}`, { method: 'POST', headers: { 'x-bench': JSON.stringify(params) }, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 1500)}`);
  return JSON.parse(text) as T;
}

function serveModels(bytes: Map<string, Uint8Array>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const name = /^\/models\/(.+)\.onnx$/.exec(req.url ?? '')?.[1];
    const data = name ? bytes.get(name) : undefined;
    if (!data) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }).end(data);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/` }));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// the two phases

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface PipelineRow {
  entities: number;
  masks: boolean;
  pipeline: RunResult[];
  riveg: RunResult[];
}

export interface FunctionRow {
  fn: StageFn;
  result: StageResult;
  idleRssMB: number;
  peakRssMB: number;
  endRssMB: number;
}

export interface PipelineReport {
  machine: string;
  options: PipelineBenchOptions;
  image: string;
  models: ModelFileInfo[];
  /** repeated: posts measured again because an LLM request had to be retried (a dropped keep-alive connection). */
  pipeline?: { rows: PipelineRow[]; idleRssMB: number; peakRssMB: number; wasmHeapBytes: number; wallSeconds: number; repeated: number };
  functions?: { rows: FunctionRow[]; wallSeconds: number };
}

export function machine(): string {
  const cpu = cpus();
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return `${cpu.length}-core ${process.arch} (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}; ` +
    `workerd ${version('workerd')} via Miniflare ${version('miniflare')} (Node ${process.version} drives it); onnxruntime-web ${version('onnxruntime-web')} wasm, ` +
    '1 thread, SIMD, arena and memory pattern off, graph optimisation all';
}

export async function benchPipeline(opts: PipelineBenchOptions, log: (line: string) => void): Promise<PipelineReport> {
  mkdirSync(WORK, { recursive: true });
  // gc() in the isolate between measured pieces (outside the timings): peak RSS then reflects live memory, not the
  // garbage V8 leaves uncollected when nothing presses it (local workerd has no memory limit to press)
  const flags = process.env.MINIFLARE_WORKERD_V8_FLAGS ?? '';
  if (!flags.split(/\s+/).includes('--expose-gc')) process.env.MINIFLARE_WORKERD_V8_FLAGS = `${flags} --expose-gc`.trim();
  const maxN = Math.max(...opts.entities);
  if (maxN > MAX_BENCH_ENTITIES) throw new Error(`--entities goes up to ${MAX_BENCH_ENTITIES}`);
  log('preparing look-alike models');
  const { files, bytes } = await prepareModels(opts.lookalikes, opts.lookalikeCache, maxN, log);
  const { jpeg, rgba } = await prepareImage();
  log('bundling the bench Worker with wrangler');
  const outdir = bundle();
  const posts = opts.entities.map(benchPost);
  const llm = await startLlmServer({ recordings: posts.map((p) => p.recording) });
  const models = await serveModels(bytes);
  const bindings = {
    LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_API_KEY: 'bench', LLM_MODEL: `slow?delay_ms=${opts.llmMs}`,
    // RiVEG's expansion calls queue one behind another: the per-attempt timeout must cover the whole queue
    LLM_TIMEOUT_MS: String(Math.max(60_000, opts.llmMs * (maxN + 2) * 2)),
    // one retry: workerd sometimes reuses a keep-alive connection the recorded server has just closed; such a post is
    // measured again (below), so no retry is ever inside a reported number
    LLM_MAX_RETRIES: '1',
    MODEL_BASE: models.base,
  };
  const report: PipelineReport = {
    machine: machine(), options: opts,
    image: `${IMAGE.width} x ${IMAGE.height} baseline JPEG, quality ${IMAGE.quality}, ${(jpeg.length / 1024).toFixed(0)} KiB (sha256 ${createHash('sha256').update(jpeg).digest('hex').slice(0, 12)}), photo-like test card made by the bench`,
    models: files,
  };
  try {
    if (opts.phase !== 'functions') report.pipeline = await pipelinePhase(outdir, bindings, opts, posts, jpeg, log);
    if (opts.phase !== 'pipeline') report.functions = await functionsPhase(outdir, bindings, opts, posts, jpeg, rgba, log);
  } finally {
    await llm.close();
    await new Promise((ok) => models.server.close(ok));
  }
  return report;
}

/**
 * When the recorded LLM server had the post's first request, in ms from the post's start (both are this machine's
 * wall clock): what shows whether the request left before the image encoders took the isolate's thread.
 */
async function llmArrival(bindings: Record<string, string>, startedAt: number): Promise<number | null> {
  const url = `${bindings.LLM_BASE_URL.replace(/\/v1$/, '')}/__requests?model=${encodeURIComponent(bindings.LLM_MODEL)}`;
  const log = (await (await fetch(url)).json()) as Array<{ at: number }>;
  const first = log.find((l) => l.at >= startedAt);
  return first ? first.at - startedAt : null;
}

async function pipelinePhase(
  outdir: string, bindings: Record<string, string>, opts: PipelineBenchOptions, posts: ReturnType<typeof benchPost>[], jpeg: Uint8Array, log: (l: string) => void,
): Promise<NonNullable<PipelineReport['pipeline']>> {
  const t0 = performance.now();
  const mf = startWorkerd(outdir, bindings);
  try {
    await mf.ready;
    const pid = workerdPid();
    await (await mf.dispatchFetch('http://bench/')).text();
    const idle = mem(pid);
    let repeated = 0;
    const run = async (mode: RunParams['mode'], p: (typeof posts)[number], masks: boolean): Promise<RunResult> => {
      for (let attempt = 1; ; attempt++) {
        const res = await post<RunResult>(mf, '/run', { mode, text: p.text, masks, groundable: opts.groundable, prepareDelayMs: mode === 'pipeline' ? opts.prepareDelayMs : 0 } satisfies RunParams, jpeg);
        if (res.started_at_ms !== undefined) {
          const arrived = await llmArrival(bindings, res.started_at_ms);
          if (arrived !== null) res.timings_ms.llm_request_arrived = arrived;
        }
        if (res.llm_fetches === res.llm_calls) return res;
        if (attempt === 3) throw new Error(`${mode}: LLM requests kept failing (${res.llm_fetches} sent for ${res.llm_calls} calls)`);
        repeated++;
        log(`  (${mode}: ${res.llm_fetches - res.llm_calls} LLM request(s) retried after a dropped connection; post measured again)`);
      }
    };
    const warmMasks = opts.masks.includes(true);
    const rows: PipelineRow[] = [];
    for (const p of posts) {
      // sessions load on the first post; each entity count also runs new batch shapes once before it is measured
      log(`warm-up (not measured): ${p.entities} entities, masks ${warmMasks ? 'on' : 'off'}, both orders`);
      for (const mode of ['pipeline', 'riveg'] as const) await run(mode, p, warmMasks);
      for (const masks of opts.masks) {
        const row: PipelineRow = { entities: p.entities, masks, pipeline: [], riveg: [] };
        for (let r = 0; r < opts.runs; r++) {
          for (const mode of ['pipeline', 'riveg'] as const) {
            const res = await run(mode, p, masks);
            if (res.entities !== p.entities) throw new Error(`${mode}: the recognizer found ${res.entities} entities, the post has ${p.entities}`);
            row[mode].push(res);
          }
          log(`  ${p.entities} entities, masks ${masks ? 'on' : 'off'}, run ${r + 1}/${opts.runs}: pipeline ${row.pipeline[r].timings_ms.total} ms, RiVEG order ${row.riveg[r].timings_ms.total} ms`);
        }
        rows.push(row);
      }
    }
    const end = mem(pid);
    const heap = Math.max(...rows.flatMap((r) => [...r.pipeline, ...r.riveg].map((x) => x.wasm_heap_bytes)));
    return { rows, idleRssMB: idle.rss, peakRssMB: end.peak, wasmHeapBytes: heap, wallSeconds: (performance.now() - t0) / 1000, repeated };
  } finally {
    await mf.dispose();
  }
}

export const FUNCTIONS: { fn: StageFn; models: LookalikeName[]; what: string }[] = [
  { fn: 'api', models: [], what: 'intake (decode) + recognition call' },
  { fn: 'ort', models: [], what: 'onnxruntime-web started, no model (the fixed part of every vision function)' },
  { fn: 'entail', models: ['entail-vision', 'entail-text'], what: 'both towers in one isolate, as functions/entail' },
  { fn: 'entail.vision', models: ['entail-vision'], what: 'image tower alone' },
  { fn: 'entail.text', models: ['entail-text'], what: 'text tower alone' },
  { fn: 'ground', models: ['ground-image', 'ground-query'], what: 'image part + query part, as functions/ground' },
  { fn: 'segment', models: ['segment-encoder', 'segment-decoder'], what: 'encoder + decoder, as functions/segment' },
  { fn: 'segment.decoder', models: ['segment-decoder'], what: 'decoder alone (encoder elsewhere)' },
];

async function functionsPhase(
  outdir: string, bindings: Record<string, string>, opts: PipelineBenchOptions, posts: ReturnType<typeof benchPost>[], jpeg: Uint8Array, rgba: Uint8Array,
  log: (l: string) => void,
): Promise<NonNullable<PipelineReport['functions']>> {
  const t0 = performance.now();
  const rows: FunctionRow[] = [];
  const texts = Object.fromEntries(posts.map((p) => [String(p.entities), p.text]));
  for (const { fn } of FUNCTIONS) {
    const mf = startWorkerd(outdir, bindings); // a fresh workerd (and isolate) per function
    try {
      await mf.ready;
      const pid = workerdPid();
      await (await mf.dispatchFetch('http://bench/')).text();
      const idle = mem(pid);
      const params: StageParams = { fn, ns: opts.entities, runs: opts.runs, texts, ...(fn === 'api' ? {} : { rgba: { width: IMAGE.width, height: IMAGE.height } }) };
      const result = await post<StageResult>(mf, '/stage', params, fn === 'api' ? jpeg : rgba);
      const end = mem(pid);
      rows.push({ fn, result, idleRssMB: idle.rss, peakRssMB: end.peak, endRssMB: end.rss });
      log(`  ${fn}: peak wasm heap ${(result.wasm_heap_bytes / MiB).toFixed(1)} MiB, workerd peak RSS ${end.peak.toFixed(0)} MB (idle ${idle.rss.toFixed(0)} MB)`);
    } finally {
      await mf.dispose();
    }
  }
  return { rows, wallSeconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// tables

const ms = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const med = (runs: RunResult[], key: string) => median(runs.map((r) => r.timings_ms[key]).filter((v) => v !== undefined));

export function pipelineTable(report: PipelineReport): string {
  const p = report.pipeline;
  if (!p) return '';
  const o = report.options;
  const lines = [
    `Pipeline (real orchestrator) vs RiVEG's order, LLM latency ${o.llmMs} ms per call, medians of ${o.runs} runs, milliseconds. ` +
      "Stage columns are the orchestrator's own timings: wall time from the post's start (prepare and recognize) or from the stage's call until it settled, " +
      'so overlapping work that queues for the one ORT copy, or that blocks the isolate, counts in each. "LLM request sent at": when the recognizer called fetch(); ' +
      '"arrived at": when the recorded LLM server had the whole request (its clock, from the post\'s start). ' +
      groundableNote(o.groundable) +
      (o.prepareDelayMs ? ` Diagnostic run: in the pipeline order every stage's prepare() started ${o.prepareDelayMs} ms late (--prepare-delay-ms).` : ''),
    '',
    '| entities | masks | LLM calls | LLM request sent at | arrived at | intake | recognize (LLM) | entail prepare | ground prepare | segment prepare | entail | ground | segment | **end-to-end** | RiVEG order end-to-end | RiVEG / pipeline |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of p.rows) {
    const e2e = med(r.pipeline, 'total');
    const riveg = med(r.riveg, 'total');
    const seg = (k: string) => (r.masks ? ms(med(r.pipeline, k)) : '–');
    lines.push(`| ${r.entities} | ${r.masks ? 'on' : 'off'} | ${r.pipeline[0]?.llm_calls ?? '–'} | ${ms(med(r.pipeline, 'llm_request_sent'))} | ${ms(med(r.pipeline, 'llm_request_arrived'))} | ${ms(med(r.pipeline, 'intake'))} | ${ms(med(r.pipeline, 'recognize'))} | ${ms(med(r.pipeline, 'entail_prepare'))} | ${ms(med(r.pipeline, 'ground_prepare'))} | ${seg('segment_prepare')} | ${ms(med(r.pipeline, 'entail'))} | ${ms(med(r.pipeline, 'ground'))} | ${seg('segment')} | **${ms(e2e)}** | ${ms(riveg)} | ${(riveg / e2e).toFixed(2)}× |`);
  }
  lines.push('', `RiVEG's order, same inputs (medians of ${o.runs} runs, ms; entail/ground/segment are sums over the entities, one call each):`, '',
    '| entities | masks | LLM calls | intake | recognize + expansions | entail prepare | ground prepare | segment prepare | entail (n calls) | ground (n calls) | segment (n calls) | **end-to-end** |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of p.rows) {
    const seg = (k: string) => (r.masks ? ms(med(r.riveg, k)) : '–');
    lines.push(`| ${r.entities} | ${r.masks ? 'on' : 'off'} | ${r.riveg[0]?.llm_calls ?? '–'} | ${ms(med(r.riveg, 'intake'))} | ${ms(med(r.riveg, 'recognize'))} | ${ms(med(r.riveg, 'entail_prepare'))} | ${ms(med(r.riveg, 'ground_prepare'))} | ${seg('segment_prepare')} | ${ms(med(r.riveg, 'entail'))} | ${ms(med(r.riveg, 'ground'))} | ${seg('segment')} | **${ms(med(r.riveg, 'total'))}** |`);
  }
  const fallbacks = p.rows.reduce((a, r) => a + [...r.pipeline, ...r.riveg].reduce((b, x) => b + x.ground_fallbacks, 0), 0);
  lines.push('', `One workerd for all posts: idle RSS ${p.idleRssMB.toFixed(0)} MB, peak RSS ${p.peakRssMB.toFixed(0)} MB, ORT wasm heap ${(p.wasmHeapBytes / MiB).toFixed(0)} MiB ` +
    `(every stage in one isolate, as the api Worker runs them in-process). Phase wall time ${p.wallSeconds.toFixed(0)} s.` +
    (p.repeated ? ` ${p.repeated} post(s) were measured again because an LLM request was retried after a dropped keep-alive connection.` : '') +
    (fallbacks ? ` ${fallbacks} OWL-ViT answers (random weights) had an empty best box and got a fixed fallback box, so that every groundable entity still reached segmentation.` : ''));
  return lines.join('\n');
}

const groundableNote = (f: number) =>
  f === 1 ? 'Every entity is groundable (--groundable 1), so every entity reaches ground and segment.' : `The first round(${f} × n) entities of each post are groundable (--groundable ${f}).`;

/** Real weights on a weight-stripped graph add about 1.3x (measured in this repo, models/manifest.ts) to 3x (look-alike README) the int8 file. */
const STRIPPED_LOW = 1.3;
const STRIPPED_HIGH = 3;
const LIMIT_MB = 128;

/**
 * What the isolate would hold, in MB, by the rule the product's memory budget uses (shared/onnx/budget.ts): the peak
 * ORT wasm heap plus the model files held in JS while sessions are created; a weight-stripped graph's heap gets
 * 1.3x (low) to 3x (high) its real int8 file on top. Without ORT (api): workerd's RSS growth.
 */
export function isolateEstimate(row: FunctionRow, models: ModelFileInfo[]): { low: number; high: number; basis: 'heap' | 'rss' } {
  const spec = FUNCTIONS.find((x) => x.fn === row.fn)!;
  if (row.fn === 'api') {
    const g = row.peakRssMB - row.idleRssMB;
    return { low: g, high: g, basis: 'rss' };
  }
  const used = spec.models.map((m) => models.find((x) => x.name === m)!);
  const heap = row.result.wasm_heap_bytes / MB;
  const files = used.filter((m) => m.form !== 'stripped').reduce((a, m) => a + m.bytes / MB, 0);
  const stripped = used.filter((m) => m.form === 'stripped').reduce((a, m) => a + m.realMB, 0);
  return { low: heap + files + STRIPPED_LOW * stripped, high: heap + files + STRIPPED_HIGH * stripped, basis: 'heap' };
}

export const verdict = (e: { low: number; high: number }) => (e.low > LIMIT_MB ? 'no' : e.high <= LIMIT_MB ? 'yes' : 'borderline');

export function functionsTable(report: PipelineReport): string {
  const f = report.functions;
  if (!f) return '';
  const o = report.options;
  const byName = new Map(report.models.map((m) => [m.name, m]));
  const ns = o.entities;
  const lines = [
    `Each function alone in a fresh workerd: one image (${IMAGE.width} x ${IMAGE.height}), medians of ${o.runs} runs per entity count, milliseconds; ` +
      'memory in MB (10^6 B) except the wasm heap (MiB). "prepare" is the image-level work, once per image (api: intake of the JPEG); ' +
      '"call" the per-post work with n entities (api: the recognition call).',
    '',
    `| function | look-alike models (form) | load ms | prepare ms | ${ns.map((n) => `call ms, ${n} ent.`).join(' | ')} | peak ORT wasm heap MiB | workerd RSS peak − idle MB | isolate estimate MB | fits 128 MB? |`,
    `|---|---|---:|---:|${ns.map(() => '---:').join('|')}|---:|---:|---:|---|`,
  ];
  for (const row of f.rows) {
    const spec = FUNCTIONS.find((x) => x.fn === row.fn)!;
    const r = row.result;
    const modelsText = spec.models.length ? spec.models.map((m) => `${byName.get(m)!.role} (${byName.get(m)!.form})`).join(' + ') : spec.what;
    const load = Object.values(r.load_ms).reduce((a, b) => a + b, 0);
    const prepare = median(ns.flatMap((n) => r.per_n[n]?.prepare ?? []));
    const calls = ns.map((n) => ms(median(r.per_n[n]?.call ?? [])));
    const growth = row.peakRssMB - row.idleRssMB;
    const e = isolateEstimate(row, report.models);
    const est = e.basis === 'rss' ? `${Math.round(e.low)} (RSS)` : e.low === e.high ? `${Math.round(e.low)}` : `${Math.round(e.low)}–${Math.round(e.high)}`;
    lines.push(`| ${row.fn} | ${modelsText} | ${row.fn === 'api' ? '–' : ms(load)} | ${ms(prepare)} | ${calls.join(' | ')} | ${row.fn === 'api' ? '–' : (r.wasm_heap_bytes / MiB).toFixed(1)} | ${growth.toFixed(0)} | ${est} | **${verdict(e)}** |`);
  }
  lines.push('',
    `"isolate estimate" = peak ORT wasm heap + the full model files held in JS while the sessions are created (the rule of shared/onnx/budget.ts), ` +
    `plus, for each weight-stripped graph, ${STRIPPED_LOW}× (low) to ${STRIPPED_HIGH}× (high) its real int8 file (look-alike manifest int8_MB); for api, workerd's RSS growth. ` +
    `"fits" = yes if the high estimate is ≤ ${LIMIT_MB} MB, no if the low one is above, else borderline. RSS is read with a gc() before every measured piece; ` +
    'its growth also counts what the isolate limit probably does not (workerd compiling and tiering up the 14 MB ORT wasm code, see the ort row; ' +
    'request and fetch buffers; the process, not the isolate), so it is an upper bound. ' +
    `Local workerd enforces no memory limit. Phase wall time ${f.wallSeconds.toFixed(0)} s.`);
  return lines.join('\n');
}

export function modelsTable(report: PipelineReport): string {
  return [
    '| bench model | plays | look-alike file | form | bytes | real int8 file MB |',
    '|---|---|---|---|---:|---:|',
    ...report.models.map((m) => `| ${m.name} | ${m.role} | ${m.file}${m.batchable ? ' (batch dimension freed, scripts/bench/batchable.ts)' : ''} | ${m.form} | ${m.bytes.toLocaleString('en-US')} | ${m.realMB} |`),
  ].join('\n');
}

export function report(r: PipelineReport): string {
  return [`Machine: ${r.machine}`, `Image: ${r.image}`, '', modelsTable(r), '', pipelineTable(r), '', functionsTable(r)].filter((x) => x !== undefined).join('\n');
}

/** `--placement ...`: the product's api in each placement, one table (scripts/bench/pipeline-placement.ts). */
async function placementCommand(
  values: { placement?: string; set: string; runs: string; 'llm-ms': string; entities: string; 'lookalike-cache': string; json?: boolean },
  masks: boolean[], num: (name: string, v: string, ok: (n: number) => boolean) => number,
): Promise<number> {
  const { benchPlacements, hopTable, parsePlacements, parseSet, placementTable } = await import('./pipeline-placement');
  const opts = {
    placements: parsePlacements(values.placement!),
    set: parseSet(values.set),
    runs: num('runs', values.runs, (n) => Number.isInteger(n) && n >= 1),
    llmMs: num('llm-ms', values['llm-ms'], (n) => Number.isInteger(n) && n >= 0),
    entities: [...new Set(values.entities.split(',').map((e) => num('entities', e, (n) => Number.isInteger(n) && n >= 1)))].sort((a, b) => a - b),
    masks,
    lookalikeCache: resolve(ROOT, values['lookalike-cache']),
  };
  mkdirSync(WORK, { recursive: true });
  const { jpeg, rgba } = await prepareImage();
  const pixels = { width: IMAGE.width, height: IMAGE.height, data: rgba };
  const runs = await benchPlacements({ ...opts, image: jpeg, mediaType: 'image/jpeg', pixels }, (l) => console.error(l));
  writeFileSync(join(WORK, 'placement-last.json'), JSON.stringify({ machine: machine(), options: opts, runs }, null, 2));
  console.log(values.json ? JSON.stringify({ machine: machine(), options: opts, runs }, null, 2) : `Machine: ${machine()}\n\n${placementTable(runs, opts)}\n\n${hopTable(runs)}`);
  return runs.some((r) => r.error) ? 1 : 0;
}

/** The `pipeline` subcommand of scripts/bench.ts. */
export async function pipelineCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: 'string', default: '5' }, 'llm-ms': { type: 'string', default: '1500' }, entities: { type: 'string', default: '1,3,8' },
      masks: { type: 'string', default: 'both' }, lookalikes: { type: 'string', default: '../shared/lookalike-models' },
      'lookalike-cache': { type: 'string', default: '.cache/lookalikes' },
      groundable: { type: 'string', default: '1' }, phase: { type: 'string', default: 'all' }, 'prepare-delay-ms': { type: 'string', default: '0' },
      json: { type: 'boolean' }, placement: { type: 'string' }, set: { type: 'string', default: 'lookalikes' },
    },
  });
  const num = (name: string, v: string, ok: (n: number) => boolean) => {
    const n = Number(v);
    if (!ok(n)) throw new Error(`--${name} ${v} is not valid`);
    return n;
  };
  const masks = ({ both: [false, true], on: [true], off: [false] } as Record<string, boolean[]>)[values.masks];
  if (!masks) throw new Error('--masks takes both, on or off');
  if (values.placement !== undefined) return placementCommand(values, masks, num);
  const phase = values.phase as PipelineBenchOptions['phase'];
  if (!['all', 'pipeline', 'functions'].includes(phase)) throw new Error('--phase takes all, pipeline or functions');
  const r = await benchPipeline({
    runs: num('runs', values.runs, (n) => Number.isInteger(n) && n >= 1),
    llmMs: num('llm-ms', values['llm-ms'], (n) => Number.isInteger(n) && n >= 0),
    entities: [...new Set(values.entities.split(',').map((e) => num('entities', e, (n) => Number.isInteger(n) && n >= 1)))].sort((a, b) => a - b),
    masks,
    lookalikes: resolve(ROOT, values.lookalikes), // relative to the repository root, whatever the working directory
    lookalikeCache: resolve(ROOT, values['lookalike-cache']),
    groundable: num('groundable', values.groundable, (n) => n >= 0 && n <= 1),
    phase,
    prepareDelayMs: num('prepare-delay-ms', values['prepare-delay-ms'], (n) => Number.isInteger(n) && n >= 0),
  }, (l) => console.error(l));
  // the raw per-run numbers of the last run stay behind, whatever was printed
  writeFileSync(join(WORK, 'last.json'), JSON.stringify(r, null, 2));
  console.log(values.json ? JSON.stringify(r, null, 2) : report(r));
  return 0;
}
