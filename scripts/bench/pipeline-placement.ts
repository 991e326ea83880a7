/// <reference types="node" />
/**
 * `npm run bench -- pipeline --placement in-process,split-one,split-per-worker --set fixtures|lookalikes [--runs N]
 *  [--llm-ms MS] [--entities 3,8] [--masks both|on|off] [--lookalike-cache .cache/lookalikes] [--json]`
 *
 * The product's own api Worker, in one invocation, in each placement, on the same posts (scripts/bench/pipeline-posts.ts,
 * the recorded LLM answering after --llm-ms), through POST /v1/recognize (Miniflare API, infra/miniflare.ts):
 *   in-process        functions/api/index.ts alone: every stage in the api's isolate, one ORT copy (today's single Worker)
 *   split-one         every Worker of infra/workers.ts in one workerd (as `wrangler dev` runs them: one thread)
 *   split-per-worker  one workerd process per Worker, linked by a dev registry (as the platform places isolates)
 * Per placement: one unmeasured warm-up post per entity count (sessions load), then --runs posts per configuration, each
 * with a new image. The numbers are the answer's own timings_ms. Each answer's `models` must name the placement the
 * bench started (in-process stage ids, or rpc ids in the split ones), and the per-worker start must have one workerd
 * process per Worker: a placement that fell back to another fails the bench instead of printing its numbers.
 *
 * Model files: fixtures come from the generator; look-alikes from --lookalike-cache, served by this process over HTTP
 * (MODEL_STORE=origin, MODEL_ORIGIN_BASE), the same way for every placement, so no local R2 state is needed.
 * In-process, the look-alike set's whole graphs are far over 128 MB together: that placement runs with
 * MEMORY_BUDGET_MB=4096 (local workerd enforces no limit); it is the comparison, not a deployable layout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import type { Miniflare } from 'miniflare';
import { seedApiKey, startSplit, stopSplit, type Split } from '../../infra/miniflare';
import type { Hop } from '../../shared/onnx/hops';
import { STAGE_KINDS } from '../../shared/pipeline/contracts';
import { imageToWire } from '../../shared/stages/wire';
import type { RgbaImage } from '../../shared/image/types';
import { startLlmServer } from '../../test/llm-server/server';
import { benchPost, MAX_BENCH_ENTITIES } from './pipeline-posts';
import { median } from './pipeline';

const LOAD_DEADLINE_MS = 600_000;

export const PLACEMENTS = ['in-process', 'split-one', 'split-per-worker'] as const;
export type Placement = (typeof PLACEMENTS)[number];
export type BenchSet = 'fixtures' | 'lookalikes';

/** `in-process,split-one` -> the placements, in the order given; anything else is an error naming the valid ones. */
export function parsePlacements(v: string): Placement[] {
  const out = [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))];
  const bad = out.filter((x) => !(PLACEMENTS as readonly string[]).includes(x));
  if (!out.length || bad.length) throw new Error(`--placement takes a comma-separated list of ${PLACEMENTS.join(', ')}${bad.length ? `, not ${bad.join(', ')}` : ''}`);
  return out as Placement[];
}

export function parseSet(v: string): BenchSet {
  if (v !== 'fixtures' && v !== 'lookalikes') throw new Error(`--set takes fixtures or lookalikes, not ${v}`);
  return v;
}

export interface PlacementOptions {
  placements: Placement[];
  set: BenchSet;
  runs: number;
  llmMs: number;
  entities: number[];
  masks: boolean[];
  /** Where `npm run models -- lookalikes` left the built set (its `lookalikes/` folder holds the files). */
  lookalikeCache: string;
  /** The image posted (the bench's test card, or a small one in tests). */
  image: Uint8Array;
  mediaType: string;
  /** The same image decoded: what the hop measurement sends to each stage Worker directly. */
  pixels: RgbaImage;
}

/** What one answer says, reduced to what the tables need. */
export interface PostResult {
  timings_ms: Record<string, number>;
  entities: number;
  groundable: number;
  boxes: number;
  masks: number;
  /** Each vision stage's `placement` in the answer's `models` (in-process, service-binding; null: not configured). */
  stage_placements: Record<string, string | null>;
  wall_ms: number;
}

export interface PlacementRow { placement: Placement; entities: number; masks: boolean; posts: PostResult[] }

/** One hop of the hop measurement, with the stage call that made it and the image it was for. */
export type HopRecord = Hop & { call: string; image: string };

export interface PlacementRun {
  placement: Placement;
  workers: number;
  /** workerd processes this placement started (one per Worker in split-per-worker). */
  processes: number;
  startMs: number;
  rows: PlacementRow[];
  /** Why this placement stopped (its rows so far are kept); the command then exits 1. */
  error?: string;
  /** Split placements: every call a stage Worker made to a part or shard Worker in the hop measurement, by stage call. */
  hops: HopRecord[];
}

/** The issue's targets for end to end − LLM, ms, by (entities, masks); rows without one are reported, not judged. */
export function targetMs(entities: number, masks: boolean): number | null {
  if (entities === 3) return masks ? 2000 : 1000;
  if (entities === 8 && masks) return 3000;
  return null;
}

/** Every vision stage of the answer must have run where the bench placed it: in the api's isolate, or behind its binding. */
export function checkPlacement(placement: Placement, stages: Record<string, string | null>): string | null {
  const want = placement === 'in-process' ? 'in-process' : 'service-binding';
  const wrong = STAGE_KINDS.filter((s) => stages[s] !== want);
  return wrong.length ? `${placement}: the answer's models say ${wrong.map((s) => `${s} placement ${JSON.stringify(stages[s] ?? null)}`).join(', ')}, not ${want}` : null;
}

function workerdChildren(): Set<string> {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, c]) => c === 'workerd').map(([p]) => p));
}

/** Serves `dir` read-only on a loopback port (the look-alike files, by their manifest keys). */
function serveDir(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const path = join(dir, rel);
    if (rel.startsWith('..') || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const data = readFileSync(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }).end(data);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

async function start(placement: Placement, modelEnv: Record<string, string>, apiVars: Record<string, string>, builds: Map<string, string>): Promise<Split> {
  if (placement === 'in-process') {
    // today's single Worker: wrangler.toml's entry, no service bindings, the model settings as its own vars
    return startSplit({
      env: modelEnv, builds,
      only: (w) => w.kind === 'api',
      transform: (t) => t.map((w) => ({ ...w, main: 'functions/api/index.ts', services: [] })),
      apiVars: { ...apiVars, ...modelEnv, ...(modelEnv.MODEL_SET === 'lookalikes' ? { MEMORY_BUDGET_MB: '4096' } : {}) },
    });
  }
  return startSplit({ env: modelEnv, builds, apiVars, layout: placement === 'split-one' ? 'one' : 'per-worker' });
}

async function recognize(mf: Miniflare, key: string, text: string, image: Uint8Array, mediaType: string, masks: boolean): Promise<PostResult> {
  const body = JSON.stringify({ text, image: { data: Buffer.from(image).toString('base64'), media_type: mediaType }, options: { masks } });
  const t0 = performance.now();
  const res = await mf.dispatchFetch('http://localhost/v1/recognize', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  const b = (await res.json()) as {
    entities?: { groundable: boolean | null; box: unknown; mask: unknown }[];
    timings_ms?: Record<string, number>;
    models?: Record<string, { placement?: string | null }>;
  };
  const wall = performance.now() - t0;
  if (res.status !== 200) throw new Error(`POST /v1/recognize answered ${res.status}: ${JSON.stringify(b).slice(0, 600)}`);
  const ents = b.entities ?? [];
  const placements = Object.fromEntries(STAGE_KINDS.map((s) => [s, b.models?.[s]?.placement ?? null]));
  return {
    timings_ms: b.timings_ms ?? {}, entities: ents.length, groundable: ents.filter((e) => e.groundable).length,
    boxes: ents.filter((e) => e.box).length, masks: ents.filter((e) => e.mask).length, stage_placements: placements, wall_ms: wall,
  };
}

/** A new image per post (a different byte near the end of the file), so image-level caches never hit. */
function variant(image: Uint8Array, i: number): Uint8Array {
  const b = new Uint8Array(image);
  b[b.length - 3] ^= (i % 255) + 1;
  return b;
}

export async function benchPlacements(opts: PlacementOptions, log: (l: string) => void): Promise<PlacementRun[]> {
  if (Math.max(...opts.entities) > MAX_BENCH_ENTITIES) throw new Error(`--entities goes up to ${MAX_BENCH_ENTITIES}`);
  const posts = opts.entities.map(benchPost);
  const llm = await startLlmServer({ port: 0, recordings: posts.map((p) => p.recording) });
  let files: { server: Server; base: string } | undefined;
  const modelEnv: Record<string, string> = { MODEL_SET: opts.set, MODEL_STORE: 'origin' };
  if (opts.set === 'lookalikes') {
    if (!existsSync(join(opts.lookalikeCache, 'lookalikes'))) throw new Error(`no ${join(opts.lookalikeCache, 'lookalikes')}: build the set first (npm run models -- lookalikes) or point --lookalike-cache at it`);
    files = await serveDir(opts.lookalikeCache);
    modelEnv.MODEL_ORIGIN_BASE = files.base;
  }
  // the first post of a split start loads every piece (22 for the look-alikes, on one thread in split-one): the
  // deadlines must outlast that on a loaded machine; they are not what is measured
  modelEnv.PART_TIMEOUT_MS = String(LOAD_DEADLINE_MS);
  const apiVars = {
    LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_API_KEY: 'bench', LLM_MODEL: `slow?delay_ms=${opts.llmMs}`,
    LLM_TIMEOUT_MS: String(LOAD_DEADLINE_MS), STAGE_TIMEOUT_MS: String(LOAD_DEADLINE_MS),
  };
  const builds = new Map<string, string>();
  const runs: PlacementRun[] = [];
  let n = 0;
  try {
    for (const placement of opts.placements) {
      log(`${placement}: starting (MODEL_SET=${opts.set})`);
      const before = workerdChildren();
      const t0 = performance.now();
      const split = await start(placement, modelEnv, apiVars, builds);
      const startMs = performance.now() - t0;
      const processes = [...workerdChildren()].filter((p) => !before.has(p)).length;
      const distinct = new Set(split.instances.values()).size;
      const run: PlacementRun = { placement, workers: split.table.length, processes, startMs, rows: [], hops: [] };
      runs.push(run);
      try {
        if (placement === 'split-per-worker' && (distinct !== split.table.length || processes !== split.table.length)) {
          throw new Error(`split-per-worker: ${split.table.length} Workers but ${distinct} Miniflare instances and ${processes} workerd processes`);
        }
        if (placement !== 'split-per-worker' && processes !== 1) throw new Error(`${placement}: expected one workerd process, found ${processes}`);
        if (placement === 'in-process' && split.table.length !== 1) throw new Error(`in-process: expected the api Worker alone, got ${split.table.length} Workers`);
        const key = await seedApiKey(split.mf, `bench-${placement}`);
        const one = async (p: (typeof posts)[number], masks: boolean) => {
          const r = await recognize(split.mf, key, p.text, variant(opts.image, n++), opts.mediaType, masks);
          const wrong = checkPlacement(placement, r.stage_placements);
          if (wrong) throw new Error(wrong);
          if (r.entities !== p.entities) throw new Error(`${placement}: the recognizer found ${r.entities} entities, the post has ${p.entities}`);
          return r;
        };
        for (const p of posts) {
          const w0 = performance.now();
          await one(p, opts.masks.includes(true));
          log(`  warm-up (not measured): ${p.entities} entities, ${(performance.now() - w0).toFixed(0)} ms`);
          for (const masks of opts.masks) {
            const row: PlacementRow = { placement, entities: p.entities, masks, posts: [] };
            for (let i = 0; i < opts.runs; i++) row.posts.push(await one(p, masks));
            log(`  ${p.entities} entities, masks ${masks ? 'on' : 'off'}: end to end ${row.posts.map((x) => x.timings_ms.total).join(', ')} ms`);
            run.rows.push(row);
          }
        }
        if (placement !== 'in-process') run.hops = await measureHops(split, opts, posts[posts.length - 1], () => n++, log);
      } catch (e) {
        // the other placements still run; the table says what stopped this one
        run.error = (e as Error).message ?? String(e);
        log(`  ${placement} stopped: ${run.error}`);
      } finally {
        await stopSplit(split);
      }
    }
  } finally {
    await llm.close();
    if (files) await new Promise((ok) => files!.server.close(ok));
  }
  return runs;
}

/**
 * The hops, measured where they happen: each stage Worker is called directly on its HTTP face (as the api would call
 * it, with the post's expressions and one box per entity), `x-debug: hops`, and answers with every call its runtime
 * made to a part or shard Worker meanwhile. Random weights leave the look-alike entities ungroundable, so the api
 * alone would never run the query shards or the decoder; here every piece runs, `runs` times, on a new image each.
 */
async function measureHops(split: Split, opts: PlacementOptions, p: ReturnType<typeof benchPost>, next: () => number, log: (l: string) => void) {
  const out: HopRecord[] = [];
  const image = imageToWire(opts.pixels);
  const expressions = p.recording.expansions.map((e) => `${e.entity}-${e.description}`);
  const boxes = expressions.map((_, i) => ({ x1: 40 + 20 * i, y1: 40, x2: Math.min(opts.pixels.width, 300 + 20 * i), y2: Math.min(opts.pixels.height, 400) }));
  for (let r = 0; r < opts.runs; r++) {
    const imageKey = `hops-${next()}`;
    for (const kind of STAGE_KINDS) {
      const name = split.table.find((w) => w.kind === 'stage' && w.name.endsWith(`-${kind}`))?.name;
      if (!name) continue;
      const worker = await split.instances.get(name)!.getWorker(name);
      const call = async (path: string, extra: object) => {
        const res = await worker.fetch(`http://stage${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-debug': 'hops' }, body: JSON.stringify({ image, image_key: imageKey, ...extra }) });
        const text = await res.text();
        if (!res.ok) throw new Error(`${name} ${path} answered ${res.status}: ${text.slice(0, 400)}`);
        const hops = (JSON.parse(text) as { hops?: Hop[] }).hops;
        if (!hops) throw new Error(`${name} ${path} answered without hops: the stage Worker does not pass its hop log`);
        out.push(...hops.map((h) => ({ ...h, call: `${kind}${path === '/v1/prepare' ? ' prepare' : ''}`, image: imageKey })));
      };
      await call('/v1/prepare', {});
      await call(`/v1/${kind}`, kind === 'segment' ? { boxes, output: { width: opts.pixels.width, height: opts.pixels.height } } : { expressions });
    }
  }
  log(`  hops: ${out.length} part/shard calls over ${opts.runs} run(s) of every stage`);
  return out;
}

const MiB = 2 ** 20;

/** Per boundary (stage -> part or shard Worker): medians of caller time, callee run time, their difference, bytes. */
export function hopTable(runs: PlacementRun[]): string {
  const lines = [
    'Hops: each call from a stage Worker to a part or shard Worker, medians per boundary, ms. "call" = the stage\'s wall time of the RPC; ' +
      '"run" = the callee\'s own time (its answer); hop = call − run (structured clone both ways, transport, scheduling); bytes = tensor data sent / returned; ' +
      'ms/MiB = hop ÷ (bytes both ways in MiB).',
    '',
    '| placement | model | piece | stage call | calls | MiB sent | MiB back | call ms | run ms | **hop ms** | ms/MiB |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of runs.filter((r) => r.hops.length)) {
    const groups = new Map<string, HopRecord[]>();
    for (const h of run.hops) {
      const k = `${h.model}\u0000${h.shard ?? -1}\u0000${h.call}`;
      groups.set(k, [...(groups.get(k) ?? []), h]);
    }
    for (const hs of groups.values()) {
      const h0 = hs[0];
      const hop = median(hs.map((h) => h.call_ms - h.run_ms));
      const mib = median(hs.map((h) => (h.bytes_out + h.bytes_in) / MiB));
      lines.push(`| ${run.placement} | ${h0.model} | ${h0.shard === null ? 'whole' : `shard ${h0.shard}`} | ${h0.call} | ${hs.length} | ${(median(hs.map((h) => h.bytes_out)) / MiB).toFixed(2)} | ${(median(hs.map((h) => h.bytes_in)) / MiB).toFixed(2)} | ` +
        `${median(hs.map((h) => h.call_ms)).toFixed(1)} | ${median(hs.map((h) => h.run_ms)).toFixed(1)} | **${hop.toFixed(1)}** | ${mib > 0 ? (hop / mib).toFixed(1) : '–'} |`);
    }
    const images = new Set(run.hops.map((h) => h.image)).size;
    const total = run.hops.reduce((a, h) => a + h.call_ms - h.run_ms, 0) / images;
    const bytes = run.hops.reduce((a, h) => a + h.bytes_out + h.bytes_in, 0) / images / MiB;
    lines.push(`| ${run.placement} | **every boundary of one image through all three stages (mean of ${images})** | | | ${run.hops.length / images} | ${bytes.toFixed(2)} both ways | | | | **${total.toFixed(1)}** | |`);
  }
  return lines.join('\n');
}

const ms = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

/** One table for every placement: medians of the answers' timings, recognize/LLM, end to end − LLM against the targets. */
export function placementTable(runs: PlacementRun[], o: { llmMs: number; runs: number; set: BenchSet }): string {
  const stages = STAGE_KINDS;
  const lines = [
    `Placements, MODEL_SET=${o.set}, LLM latency ${o.llmMs} ms, medians of ${o.runs} posts, ms (the answer's timings_ms; "sent at" = llm_sent). ` +
      'Targets (issue 10): end to end − LLM ≤ 1,000 (3 entities, no masks), ≤ 2,000 (3, masks), ≤ 3,000 (8, masks).',
    '',
    `| placement | entities | masks | groundable / boxes / masks | LLM request sent at | recognize | recognize / LLM | ${stages.map((s) => `${s} prepare`).join(' | ')} | ${stages.join(' | ')} | **end to end** | end to end − LLM | target | |`,
    `|---|---:|---|---|---:|---:|---:|${stages.map(() => '---:').join('|')}|${stages.map(() => '---:').join('|')}|---:|---:|---:|---|`,
  ];
  for (const run of runs) {
    for (const r of run.rows) {
      const med = (k: string) => median(r.posts.map((p) => p.timings_ms[k]).filter((v) => v !== undefined));
      const e2e = med('total');
      const over = e2e - o.llmMs;
      const target = targetMs(r.entities, r.masks);
      const counts = (k: 'groundable' | 'boxes' | 'masks') => median(r.posts.map((p) => p[k]));
      lines.push(`| ${run.placement} | ${r.entities} | ${r.masks ? 'on' : 'off'} | ${counts('groundable')} / ${counts('boxes')} / ${counts('masks')} | ${ms(med('llm_sent'))} | ${ms(med('recognize'))} | ${(med('recognize') / o.llmMs).toFixed(2)} | ` +
        `${stages.map((s) => ms(med(`${s}_prepare`))).join(' | ')} | ${stages.map((s) => ms(med(s))).join(' | ')} | **${ms(e2e)}** | ${ms(over)} | ${target === null ? '–' : ms(target)} | ${target === null ? '' : over <= target ? 'PASS' : 'MISS'} |`);
    }
  }
  lines.push('', ...runs.map((r) => `${r.placement}: ${r.workers} Worker(s) in ${r.processes} workerd process(es), started in ${ms(r.startMs)} ms (bundles included the first time).` +
    (r.error ? ` **Stopped: ${r.error}**` : '')));
  return lines.join('\n');
}
