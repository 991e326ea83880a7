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
import { entryFileBytes, type ModelEntry } from '../shared/onnx/manifest-types';
import { modelBindingName, shardBindingName } from '../shared/onnx/model-parts';
import { declaredDefault } from '../shared/config';
import { visionConfigFromEnv, type VisionConfig } from '../shared/stages/config';
import { stageServiceBinding } from '../shared/stages/from-env';
import { INVOCATION_LIMIT, INVOCATION_MARGIN, workLimitsOf, worstCase } from './invocations';
import { STAGE_KINDS as STAGES, type StageKind } from '../shared/pipeline/contracts';

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
  /** Binds Workers AI as AI (a ground stage whose VLM is VLM_PROVIDER=workers-ai). */
  ai?: boolean;
  /** A stage Worker: the models it runs in its own isolate (no binding for them, so its runtime loads them itself). */
  local?: { model: string; peakWasmBytes: number; fileBytes: number }[];
}

const ENTRYPOINT: Record<StageKind, string> = { entail: 'EntailService', ground: 'GroundService', segment: 'SegmentService' };
export const PREFIX = 'gmner';

/**
 * Variables a stage or model Worker reads: those of the stage scope (shared/config-variables.ts), the model runtime's
 * and store's included. The api's own ones reach it through its own config.
 */
export const MODEL_VARIABLES = scopeVariables('stage');
/** Set with `wrangler secret put` on each Worker that reads them; never written into a deploy config. */
export const SECRETS = SECRET_VARIABLES;

/** Stands for the AI binding a config declares, while the table is made (nothing runs it). */
const AI_DECLARED = { run: () => Promise.reject(new Error('declared in the Worker config, not bound here')) };
/**
 * What a stage Worker may spend on models it runs itself: each one it keeps saves an invocation per run (the SAM
 * decoder A runs once per box). The rest of the 128 MiB is the stage's own: the request's RGBA image, the model
 * inputs it makes (the SAM encoder's 1024² float input is 12 MiB), its per-image caches and the activations of the
 * shard chain it drives (up to 8 MiB per cut).
 */
export const STAGE_LOCAL_MODELS_BYTES = declaredDefault<number>('STAGE_LOCAL_MODELS_MB') * 2 ** 20;

/** STAGE_LOCAL_MODELS_MB overrides it (0: every model in a Worker of its own). */
function stageLocalBytes(env: Record<string, string | undefined>): number {
  const v = env.STAGE_LOCAL_MODELS_MB;
  const n = v === undefined || v.trim() === '' ? NaN : Number(v);
  if (v !== undefined && v.trim() !== '' && !(Number.isFinite(n) && n >= 0)) throw new Error(`STAGE_LOCAL_MODELS_MB must be a number of MiB, 0 or more, not "${v}"`);
  return Number.isFinite(n) ? n * 2 ** 20 : STAGE_LOCAL_MODELS_BYTES;
}

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
  // A Workers AI grounder is configured only where the AI binding exists: the ground Worker gets it (below), so the
  // stage is configured as it will run there, with the binding present.
  const first = visionConfigFromEnv(all, { entries: opts.entries });
  const ai = (first.missing.ground ?? []).includes('AI');
  const { config } = ai ? visionConfigFromEnv({ ...all, AI: AI_DECLARED }, { entries: opts.entries }) : first;
  const ids = new Set(opts.entries.map((e) => e.id));
  const byId = new Map(opts.entries.map((e) => [e.id, e]));

  const api: WorkerDecl = { name: `${PREFIX}-api`, kind: 'api', main: 'functions/api/edge.ts', vars: {}, services: [] };
  const pieces: WorkerDecl[] = [];
  const stages: WorkerDecl[] = [];
  const localBytes = stageLocalBytes(opts.env);
  for (const kind of STAGES) {
    if (!config[kind]) continue;
    const stage: WorkerDecl = { name: `${PREFIX}-${kind}`, kind: 'stage', main: `functions/${kind}/index.ts`, vars: { ...vars }, services: [], local: [], ...(ai && kind === 'ground' ? { ai: true } : {}) };
    for (const id of stageModels(config[kind], ids)) {
      const entry = byId.get(id)!;
      if (entry.shards) {
        for (const s of entry.shards.shards) {
          const name = `${PREFIX}-shard-${slug(id)}-${s.index}`;
          pieces.push({ name, kind: 'shard', main: 'functions/shard/index.ts', vars: { ...vars, PART_MODEL: id, PART_SHARD: String(s.index) }, services: [], hosts: { model: id, shard: s.index, peakWasmBytes: s.memory.peakWasmBytes } });
          stage.services.push({ binding: shardBindingName(id, s.index), service: name, entrypoint: 'ShardService' });
        }
      } else if (fitsStage(stage, entry, localBytes)) {
        stage.local!.push({ model: id, peakWasmBytes: entry.memory.peakWasmBytes, fileBytes: entryFileBytes(entry)! });
      } else {
        const name = `${PREFIX}-part-${slug(id)}`;
        pieces.push({ name, kind: 'part', main: 'functions/shard/index.ts', vars: { ...vars, PART_MODEL: id }, services: [], hosts: { model: id, peakWasmBytes: entry.memory.peakWasmBytes } });
        stage.services.push({ binding: modelBindingName(id), service: name, entrypoint: 'ShardService' });
      }
    }
    api.services.push({ binding: stageServiceBinding(kind), service: stage.name, entrypoint: ENTRYPOINT[kind] });
    stages.push(stage);
  }
  const table = [api, ...stages, ...pieces];
  fitInvocationLimit(table, opts.entries, config, opts.env);
  return table;
}

/** An unsharded model whose measured peak and known file fit what the stage has left for models. */
function fitsStage(stage: WorkerDecl, entry: ModelEntry, budget: number): boolean {
  const bytes = entryFileBytes(entry);
  if (bytes === null || entry.memory.peakWasmBytes <= 0) return false; // not pinned or not measured: no basis to place it
  const used = stage.local!.reduce((a, m) => a + m.peakWasmBytes + m.fileBytes, 0);
  return used + entry.memory.peakWasmBytes + bytes <= budget;
}

/**
 * Keeps every request of this table under the platform's 32 invocations (infra/invocations.ts), deciding two things
 * at config time: the api's entity cap, when the environment does not set one (the largest up to the default whose
 * worst case keeps INVOCATION_MARGIN), and which stages warm their part Workers on an isolate's first request
 * (PART_WARMUP=off where the warm-up does not fit). A cap set in the environment that the plan cannot serve is an
 * error here, not a request that fails on Cloudflare at its 33rd call.
 */
function fitInvocationLimit(table: WorkerDecl[], entries: readonly ModelEntry[], config: VisionConfig, env: Record<string, string | undefined>): void {
  const limits = workLimitsOf(env);
  const target = INVOCATION_LIMIT - INVOCATION_MARGIN;
  const worst = (n: number) => worstCase(table, entries, config, n, limits.stageBatch);
  const stages = table.filter((w) => w.kind === 'stage');
  // what the environment says wins where it is `off`; the plan only ever turns warm-ups off
  const own = new Map(stages.map((s) => [s, s.vars.PART_WARMUP] as const));
  for (const s of stages) s.vars.PART_WARMUP = 'off';
  let n = limits.maxEntities;
  if (!limits.explicit) while (n > 1 && worst(n) > target) n--;
  if (worst(n) > INVOCATION_LIMIT) {
    const why = `a request with ${n} entities, masks on and every isolate cold makes ${worst(n)} Worker invocations, over the platform's ${INVOCATION_LIMIT}`;
    throw new Error(limits.explicit
      ? `MAX_ENTITIES_PER_POST=${n}: ${why}. Lower MAX_ENTITIES_PER_POST (or unset it to derive the largest that fits), or raise STAGE_BATCH_SIZE (now ${limits.stageBatch}: fewer, larger stage calls, each holding more memory).`
      : `${why}, even with one entity: this placement cannot serve a request (npm run workers -- list shows each Worker's share).`);
  }
  // warm-ups only where the worst case still keeps its margin with them
  for (const s of stages) {
    const set = own.get(s);
    if (set === undefined) delete s.vars.PART_WARMUP;
    else s.vars.PART_WARMUP = set;
    if (set !== 'off' && worst(n) > target) s.vars.PART_WARMUP = 'off';
  }
  if (!limits.explicit) table[0].vars.MAX_ENTITIES_PER_POST = String(n);
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
    ...(w.ai ? { ai: { binding: 'AI' } } : {}),
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
  // the api's derived settings (its entity cap) go under [vars]; wrangler's --var and .dev.vars still override them
  const derived = Object.entries(w.vars).map(([k, v]) => `${k} = ${JSON.stringify(v)}\n`).join('');
  if (derived) out = /^\[vars\]$/m.test(out) ? out.replace(/^\[vars\]$/m, `[vars]\n${derived.trimEnd()}`) : `${out.trimEnd()}\n\n[vars]\n${derived}`;
  const services = w.services.map((s) => `\n[[services]]\nbinding = ${JSON.stringify(s.binding)}\nservice = ${JSON.stringify(s.service)}\nentrypoint = ${JSON.stringify(s.entrypoint)}\n`).join('');
  return `# generated from wrangler.toml and infra/workers.ts (the split deployment's api); do not edit\n${out.trimEnd()}\n${services}`;
}
