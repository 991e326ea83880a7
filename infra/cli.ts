/// <reference types="node" />
/**
 * `npm run workers -- list|configs [--set default|lookalikes|fixtures] [--out DIR] [--dev] [--json]`
 *
 *   list      the Workers of the split deployment (infra/workers.ts): name, kind, what it hosts, its bindings, and
 *             the Worker invocations a request makes (infra/invocations.ts), warm and on the isolates' first request
 *   configs   writes their wrangler configs to --out (default dist/workers/<set>): api.toml first, then one
 *             .jsonc per stage, part and shard Worker; prints the paths (with --json, as a JSON array).
 *             --dev also writes secret values from the environment (local `wrangler dev` only; never deploy them).
 * Deploy: `wrangler deploy -c <file>` for each, parts and shards first (a binding needs its target), api last.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { modelSetFromEnv } from '../models/runtime-from-env';
import { visionConfigFromEnv } from '../shared/stages/config';
import { countInvocations, INVOCATION_LIMIT, workLimitsOf } from './invocations';
import { apiToml, workerTable, wranglerJsonc, type WorkerDecl } from './workers';

const ROOT = resolve(import.meta.dirname, '..');

/** The invocation counts `list` shows: the cases docs/benchmarks.md reports, and the worst the api's entity cap allows. */
export async function invocationPlan(table: WorkerDecl[], env: Record<string, string | undefined>) {
  const entries = await modelSetFromEnv(env).entries;
  const { config } = visionConfigFromEnv(env, { entries });
  const limits = workLimitsOf({ ...env, ...table[0].vars });
  const count = (masks: boolean, n: number, cold: boolean) =>
    countInvocations(table, entries, config, { masks, entities: n, groundable: n, boxed: n, cold }, limits.stageBatch).total;
  const cases: [string, boolean, number][] = [
    ['1 entity, no masks', false, 1], ['1 entity, masks', true, 1], ['8 entities, masks', true, 8],
    [`${limits.maxEntities} entities (MAX_ENTITIES_PER_POST), masks`, true, limits.maxEntities],
  ];
  return cases.map(([c, masks, n]) => ({ case: c, entities: n, masks, warm: count(masks, n, false), cold: count(masks, n, true) }));
}

export async function tableFor(env: Record<string, string | undefined>, withSecrets = false): Promise<WorkerDecl[]> {
  const entries = await modelSetFromEnv(env).entries;
  return workerTable({ entries, env, withSecrets });
}

/** Writes every config of the table to `dir`; returns their paths, the api's first. */
export function writeConfigs(table: WorkerDecl[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const rel = (p: string) => relative(dir, join(ROOT, p)).split('\\').join('/');
  return table.map((w) => {
    const file = join(dir, w.kind === 'api' ? 'api.toml' : `${w.name}.jsonc`);
    writeFileSync(file, w.kind === 'api' ? apiToml(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'), w, rel) : wranglerJsonc(w, rel));
    return file;
  });
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env, log: (l: string) => void = console.log): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { set: { type: 'string' }, out: { type: 'string' }, dev: { type: 'boolean' }, json: { type: 'boolean' } } });
  const set = v.set ?? env.MODEL_SET ?? 'default';
  const table = await tableFor({ ...env, MODEL_SET: set }, !!v.dev);
  if (positionals[0] === 'list') {
    const plan = await invocationPlan(table, { ...env, MODEL_SET: set });
    if (v.json) log(JSON.stringify({ workers: table, invocations: plan }, null, 2));
    else {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
      for (const w of table) {
        const hosts = w.hosts ? ` hosts ${w.hosts.model}${w.hosts.shard !== undefined ? ` shard ${w.hosts.shard}` : ''} (peak ${mib(w.hosts.peakWasmBytes)})` : '';
        const local = w.local?.length ? ` runs itself ${w.local.map((m) => `${m.model} (peak ${mib(m.peakWasmBytes)} + file ${mib(m.fileBytes)})`).join(', ')}` : '';
        const vars = Object.entries(w.vars).filter(([k]) => k === 'PART_WARMUP' || k === 'MAX_ENTITIES_PER_POST').map(([k, x]) => ` ${k}=${x}`).join('');
        log(`${w.name}  [${w.kind}] ${w.main}${hosts}${local}${vars}${w.services.map((s) => `\n    ${s.binding} -> ${s.service} (${s.entrypoint})`).join('')}`);
      }
      log(`\nWorker invocations per request (the platform allows ${INVOCATION_LIMIT}; infra/invocations.ts):`);
      for (const r of plan) log(`  ${r.case.padEnd(54)} warm ${String(r.warm).padStart(2)}  first request of the isolates ${String(r.cold).padStart(2)}`);
    }
    return 0;
  }
  if (positionals[0] === 'configs') {
    const files = writeConfigs(table, resolve(v.out ?? join(ROOT, 'dist', 'workers', set)));
    log(v.json ? JSON.stringify(files) : files.join('\n'));
    return 0;
  }
  log('usage: npm run workers -- list|configs [--set default|lookalikes|fixtures] [--out DIR] [--dev] [--json]');
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`workers: ${(e as Error).message}`);
    process.exit(1);
  });
}
