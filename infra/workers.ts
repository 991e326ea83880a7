/**
 * The one declaration of every Worker of a deployment, and the wrangler configs made from it.
 *
 * Split placement (MODEL_SET default or lookalikes): the api Worker (functions/api/edge.ts, no ORT) binds one stage
 * Worker per vision stage; each stage Worker binds one Worker per model it uses (a "part", functions/shard with
 * PART_MODEL) or, for a model with a shard plan, one Worker per shard (PART_SHARD). Every piece is then alone in
 * its isolate, which is what keeps each ORT heap under 128 MB. Binding names come from shared/onnx/model-parts.ts,
 * so the runtime finds what the table declared. Which models a stage uses comes from the same configuration code
 * the stage runs (visionConfigFromEnv), so overrides such as SEGMENT_DECODER_MODEL move the Workers with them.
 *
 * The configs are generated, not committed: the Workers of a set follow its manifest (shard plans are written by
 * `npm run models -- shard`) and the variables of the environment, so a committed copy would drift from both.
 * `npm run workers -- configs` writes them for a deploy; `npm start` writes them for `wrangler dev`.
 */
import { SECRET_VARIABLES, scopeVariables } from '../shared/config-variables';
import type { ModelEntry } from '../shared/onnx/manifest-types';
import { modelBindingName, shardBindingName } from '../shared/onnx/model-parts';
import { visionConfigFromEnv } from '../shared/stages/config';
import type { StageKind } from '../shared/stages/http-app';

export interface ServiceBinding { binding: string; service: string; entrypoint: string }

export interface WorkerDecl {
  name: string;
  kind: 'api' | 'stage' | 'part' | 'shard';
  /** Entry module, relative to the repository root. */
  main: string;
  vars: Record<string, string>;
  services: ServiceBinding[];
  /** The manifest id (and shard) a part or shard Worker hosts. */
  hosts?: { model: string; shard?: number; peakWasmBytes: number };
}

export const STAGES: readonly StageKind[] = ['entail', 'ground', 'segment'];
const ENTRYPOINT: Record<StageKind, string> = { entail: 'EntailService', ground: 'GroundService', segment: 'SegmentService' };
export const PREFIX = 'gmner';

/**
 * Variables a stage or model Worker reads: those of the stage scope (shared/config-variables.ts), the model runtime's
 * and store's included. The api's own ones reach it through its own config.
 */
export const MODEL_VARIABLES = scopeVariables('stage');
/** Set with `wrangler secret put` on each Worker that reads them; never written into a deploy config. */
export const SECRETS = SECRET_VARIABLES;

const slug = (id: string) => id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** The manifest ids a stage's configuration names (whatever its fields are called). */
function stageModels(config: object | null, ids: Set<string>): string[] {
  if (!config) return [];
  return Object.values(config).filter((v): v is string => typeof v === 'string' && ids.has(v));
}

export interface TableOptions {
  /** The entries of the configured set (MODEL_SET). */
  entries: readonly ModelEntry[];
  /** The environment the stages are configured from (MODEL_SET, *_MODEL overrides, GROUND_PROVIDER, ...). */
  env: Record<string, string | undefined>;
  /** Include secret values in vars (local development only). */
  withSecrets?: boolean;
}

/** Every Worker of the split deployment, the api first. */
export function workerTable(opts: TableOptions): WorkerDecl[] {
  const all: Record<string, string> = {};
  for (const k of MODEL_VARIABLES) {
    const v = opts.env[k];
    if (v !== undefined && v !== '') all[k] = v;
  }
  // the stages are configured as they will be, secrets included; the configs carry secrets only when asked
  const vars = Object.fromEntries(Object.entries(all).filter(([k]) => opts.withSecrets || !SECRETS.has(k)));
  const { config } = visionConfigFromEnv(all, { entries: opts.entries });
  const ids = new Set(opts.entries.map((e) => e.id));
  const byId = new Map(opts.entries.map((e) => [e.id, e]));

  const api: WorkerDecl = { name: `${PREFIX}-api`, kind: 'api', main: 'functions/api/edge.ts', vars: {}, services: [] };
  const pieces: WorkerDecl[] = [];
  const stages: WorkerDecl[] = [];
  for (const kind of STAGES) {
    if (!config[kind]) continue;
    const stage: WorkerDecl = { name: `${PREFIX}-${kind}`, kind: 'stage', main: `functions/${kind}/index.ts`, vars: { ...vars }, services: [] };
    for (const id of stageModels(config[kind], ids)) {
      const entry = byId.get(id)!;
      if (entry.shards) {
        for (const s of entry.shards.shards) {
          const name = `${PREFIX}-shard-${slug(id)}-${s.index}`;
          pieces.push({ name, kind: 'shard', main: 'functions/shard/index.ts', vars: { ...vars, PART_MODEL: id, PART_SHARD: String(s.index) }, services: [], hosts: { model: id, shard: s.index, peakWasmBytes: s.memory.peakWasmBytes } });
          stage.services.push({ binding: shardBindingName(id, s.index), service: name, entrypoint: 'ShardService' });
        }
      } else {
        const name = `${PREFIX}-part-${slug(id)}`;
        pieces.push({ name, kind: 'part', main: 'functions/shard/index.ts', vars: { ...vars, PART_MODEL: id }, services: [], hosts: { model: id, peakWasmBytes: entry.memory.peakWasmBytes } });
        stage.services.push({ binding: modelBindingName(id), service: name, entrypoint: 'ShardService' });
      }
    }
    api.services.push({ binding: `${kind.toUpperCase()}_SERVICE`, service: stage.name, entrypoint: ENTRYPOINT[kind] });
    stages.push(stage);
  }
  return [api, ...stages, ...pieces];
}

/**
 * A wrangler config (JSON) for a stage, part or shard Worker, with paths relative to `dir` (where it is written).
 * Every one has the MODELS bucket: it is where model files come from.
 */
export function wranglerJsonc(w: WorkerDecl, rel: (repoPath: string) => string): string {
  if (w.kind === 'api') throw new Error('the api config is made from wrangler.toml (apiToml)');
  const config = {
    name: w.name,
    main: rel(w.main),
    compatibility_date: '2026-07-20',
    workers_dev: false,
    send_metrics: false,
    limits: { cpu_ms: 300000 },
    r2_buckets: [{ binding: 'MODELS', bucket_name: 'gmner-models' }],
    ...(w.services.length ? { services: w.services } : {}),
    vars: w.vars,
  };
  return `// generated from infra/workers.ts (${w.kind} Worker); do not edit\n${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The api's config: the repository's wrangler.toml (D1, Durable Objects, queues, images, R2) with the split
 * deployment's entry and the service bindings of the table appended, paths made relative to where it is written.
 */
export function apiToml(wranglerToml: string, w: WorkerDecl, rel: (repoPath: string) => string): string {
  let out = wranglerToml;
  const swap = (key: string, value: string) => {
    const re = new RegExp(`^${key} = ".*"$`, 'm');
    if (!re.test(out)) throw new Error(`wrangler.toml has no top-level ${key} = "..." line to rewrite`);
    out = out.replace(re, `${key} = ${JSON.stringify(value)}`);
  };
  swap('main', rel(w.main));
  swap('migrations_dir', rel('infra/migrations'));
  // wrangler resolves these against the config's folder, so they move with it (the build command runs in the cwd)
  for (const key of ['directory', 'watch_dir']) {
    const m = new RegExp(`^${key} = "(.*)"$`, 'm').exec(out);
    if (m) swap(key, rel(m[1].replace(/^\.\//, '')));
  }
  const services = w.services.map((s) => `\n[[services]]\nbinding = ${JSON.stringify(s.binding)}\nservice = ${JSON.stringify(s.service)}\nentrypoint = ${JSON.stringify(s.entrypoint)}\n`).join('');
  return `# generated from wrangler.toml and infra/workers.ts (the split deployment's api); do not edit\n${out.trimEnd()}\n${services}`;
}
