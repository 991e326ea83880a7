/// <reference types="node" />
/**
 * The split deployment of infra/workers.ts in one local workerd through the Miniflare API, for tests and
 * measurements: every config is generated from the table, each distinct entry is bundled once by
 * `wrangler deploy --dry-run` from a generated config (so the configs themselves are checked), and each Worker gets
 * its table's vars and service bindings. What `npm start` runs under `wrangler dev`, without wrangler's proxy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { insertKeyStatement, newKey } from '../functions/api/accounts/keys';
import { tableFor, writeConfigs } from './cli';
import type { WorkerDecl } from './workers';

export interface SplitOptions {
  env: Record<string, string | undefined>;
  /** Keep only these Workers (and drop bindings to the others). */
  only?: (w: WorkerDecl) => boolean;
  /** Extra vars for the api Worker (LLM settings, ...). */
  apiVars?: Record<string, string>;
  /** Changes the table before it is built (measurements compare placements). */
  transform?: (table: WorkerDecl[]) => WorkerDecl[];
  /**
   * one: every Worker in one workerd (as `wrangler dev` runs them; one thread). per-worker: one workerd process per
   * Worker, linked through a dev registry, as the platform places isolates (each on its own thread).
   */
  layout?: 'one' | 'per-worker';
  /**
   * Local state folder as `wrangler dev --persist-to` keeps it, for the stage, part and shard Workers (the model files
   * in R2); in the per-worker layout the api's D1 and Durable Objects stay in memory, in the one layout they use it too.
   */
  persist?: string;
  /** Bundles already built, by entry module (a second start reuses them). */
  builds?: Map<string, string>;
  /**
   * Count every invocation of every Worker of the table (one layout only): each gets a tail Worker, which records
   * one event per invocation (the platform's unit for its 32-per-request limit); read them with `invocations`.
   */
  countInvocations?: boolean;
  /** Called after each Worker's workerd is ready (per-worker layout): measurements read its process then. */
  onStarted?: (w: WorkerDecl, mf: Miniflare, readyMs: number) => Promise<void> | void;
}

export interface Split {
  /** The instance that serves the api (the only one in the `one` layout). */
  mf: Miniflare;
  /** Each Worker's instance (the same one for all in the `one` layout). */
  instances: Map<string, Miniflare>;
  table: WorkerDecl[];
  /** Bundle folder per entry module. */
  builds: Map<string, string>;
}

/** `wrangler deploy --dry-run` of one generated config; returns the folder and wrangler's upload line. */
export function bundle(config: string): { outdir: string; uploadLine: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'gmner-split-'));
  const out = execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', FORCE_COLOR: '0' },
  });
  return { outdir, uploadLine: (out.split('\n').find((l) => l.includes('Total Upload')) ?? '').trim() };
}

/** A bundle's modules, listed (ORT keeps unused dynamic import(url) paths that Miniflare must not walk). */
export function modulesOf(outdir: string, main: string) {
  const first = `${basename(main).replace(/\.[cm]?[jt]s$/, '')}.js`;
  return readdirSync(outdir)
    .filter((f) => /\.(js|mjs|wasm)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(outdir, f) }))
    .sort((a, b) => (basename(a.path) === first ? -1 : basename(b.path) === first ? 1 : 0));
}

export async function startSplit(opts: SplitOptions): Promise<Split> {
  let table = await tableFor(opts.env, true);
  if (opts.only) {
    table = table.filter(opts.only);
    const names = new Set(table.map((w) => w.name));
    table = table.map((w) => ({ ...w, services: w.services.filter((s) => names.has(s.service)) }));
  }
  if (opts.transform) table = opts.transform(table);
  const dir = mkdtempSync(join(tmpdir(), 'gmner-split-configs-'));
  const files = writeConfigs(table, dir);
  const builds = opts.builds ?? new Map<string, string>();
  table.forEach((w, i) => {
    if (!builds.has(w.main)) builds.set(w.main, bundle(files[i]).outdir);
  });
  const persist = opts.persist
    ? { resourcePersistencePath: join(opts.persist, 'v3') }
    : {};
  const workers = table.map((w) => {
    const outdir = builds.get(w.main)!;
    return {
      name: w.name,
      modulesRoot: outdir,
      modules: modulesOf(outdir, w.main),
      compatibilityDate: '2026-07-20',
      bindings: w.kind === 'api' ? { ...w.vars, ...opts.apiVars } : w.vars,
      serviceBindings: Object.fromEntries(w.services.map((s) => [s.binding, { name: s.service, entrypoint: s.entrypoint }])),
      r2Buckets: { MODELS: 'gmner-models' },
      ...(w.kind === 'api'
        ? { d1Databases: { DB: 'gmner-accounts' }, durableObjects: { METER: { className: 'ApiKeyMeter', useSQLite: true } }, queueProducers: { JOBS: 'gmner-jobs' } }
        : {}),
    };
  });
  if (opts.layout !== 'per-worker') {
    // one tail Worker per Worker: locally a trace item's scriptName is null, so the tail's own name says whose it is
    const counted = opts.countInvocations
      ? [...workers.map((w) => ({ ...w, tails: [tailOf(w.name)] })), ...workers.map((w) => ({ name: tailOf(w.name), modules: true, script: tailScript(w.name), compatibilityDate: '2026-07-20' }))]
      : workers;
    const mf = new Miniflare(convertV4MiniflareOptions({ workers: counted, ...persist } as never));
    await mf.ready;
    return { mf, instances: new Map(table.map((w) => [w.name, mf])), table, builds };
  }
  // callees first, so that every binding finds its target registered
  const registry = mkdtempSync(join(tmpdir(), 'gmner-devreg-'));
  const instances = new Map<string, Miniflare>();
  try {
    for (let i = workers.length - 1; i >= 0; i--) {
      const t0 = performance.now();
      const mf = new Miniflare(convertV4MiniflareOptions({ ...workers[i], ...(table[i].kind === 'api' ? {} : persist), unsafeDevRegistryPath: registry } as never));
      instances.set(table[i].name, mf);
      await mf.ready;
      await opts.onStarted?.(table[i], mf, performance.now() - t0);
    }
  } catch (e) {
    await Promise.all([...instances.values()].map((m) => m.dispose()));
    throw e;
  }
  return { mf: instances.get(table[0].name)!, instances, table, builds };
}

const tailOf = (worker: string) => `${worker}--invocations`;
// one trace item per invocation: its entrypoint, whether a Durable Object's, and the RPC method or HTTP path
const tailScript = (worker: string) => `let seen = [];
export default {
  tail(items) {
    for (const t of items) seen.push({ worker: ${JSON.stringify(worker)}, entrypoint: t.entrypoint ?? null, model: t.executionModel ?? null, what: t.event?.rpcMethod ?? (t.event?.request ? new URL(t.event.request.url).pathname : Object.keys(t.event ?? {}).join(',')) });
  },
  fetch(req) {
    if (new URL(req.url).pathname === '/reset') seen = [];
    return Response.json(seen);
  },
};`;

/** One invocation: the Worker, its entrypoint class, 'durableObject' for a Durable Object's, and the method or path. */
export interface Invocation { worker: string; entrypoint: string | null; model: string | null; what: string }

/**
 * The invocations the tail Worker has recorded since the last call (startSplit's countInvocations). Tail events come
 * after their invocation ends, so this waits until the count stops changing.
 */
export async function invocations(split: Split, settleMs = 300): Promise<Invocation[]> {
  const read = async () => (await Promise.all(split.table.map(async (w) => (await (await split.mf.getWorker(tailOf(w.name))).fetch('http://tail/')).json() as Promise<Invocation[]>))).flat();
  let last = await read();
  for (;;) {
    await new Promise((r) => setTimeout(r, settleMs));
    const now = await read();
    if (now.length === last.length) break;
    last = now;
  }
  await Promise.all(split.table.map(async (w) => (await split.mf.getWorker(tailOf(w.name))).fetch('http://tail/reset')));
  return last;
}

/** Disposes every instance of a split start. */
export async function stopSplit(split: Split): Promise<void> {
  await Promise.all([...new Set(split.instances.values())].map((m) => m.dispose()));
}

/** The api's D1 migrated (infra/migrations) with one API key in it, as `npm run keys -- migrate` and `create` make it; returns the key. */
export async function seedApiKey(mf: Miniflare, name = 'split'): Promise<string> {
  const db = await mf.getD1Database('DB', 'gmner-api');
  for (const f of readdirSync('infra/migrations').sort()) {
    const sql = readFileSync(join('infra/migrations', f), 'utf8').replace(/--.*$/gm, '');
    for (const stmt of sql.split(/;\s*$/m).map((x) => x.trim()).filter(Boolean)) await db.prepare(stmt).run();
  }
  const k = await newKey({ name, quota: null, rateLimit: null });
  const { sql, params } = insertKeyStatement(k);
  await db.prepare(sql).bind(...params).run();
  return k.key;
}
