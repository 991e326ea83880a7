/**
 * Builds the model store and runtime from Worker (or Node) configuration. The API wiring calls
 * `modelRuntimeFromEnv(env, workerdOrt)` per request; it returns the isolate's one runtime for that configuration.
 * It reads the variables of the store and runtime scopes (MODEL_SET, MODEL_STORE, S3_*, MODEL_ORIGIN_BASE,
 * MODEL_TRUST_ON_FIRST_USE, MEMORY_BUDGET_MB, PART_TIMEOUT_MS; each declared in shared/config-variables.ts) and
 * the MODEL_<ID> / SHARD_<ID>_<i> service bindings (shared/onnx/model-parts.ts): a model so bound runs there,
 * never in this isolate.
 */
import { budgetFromEnv } from '../shared/onnx/budget';
import type { ModelEntry } from '../shared/onnx/manifest-types';
import { modelPartsFromEnv } from '../shared/onnx/model-parts';
import { ModelRuntime } from '../shared/onnx/model-runtime';
import { configKey, envInt, envString, envValue, type ConfigEnv } from '../shared/config';
import { scopeVariables, type VariableName } from '../shared/config-variables';
import type { OrtProvider } from '../shared/onnx/ort-types';
import { ProblemError } from '../shared/problems';
import { ModelStore } from '../shared/store/model-store';
import type { ObjectStore } from '../shared/store/object-store';
import { httpOrigin } from '../shared/store/origin';
import { r2ObjectStore, type R2Like } from '../shared/store/r2';
import { s3ObjectStore } from '../shared/store/s3';
import type { LogisticCalibration } from '../shared/vision/calibration';
import { fixtureEntries, fixtureOrigin } from './fixtures/index';
import { LOOKALIKE_CALIBRATION, LOOKALIKES } from './lookalikes';
import { MODELS } from './manifest';

export type ModelEnv = ConfigEnv & { readonly MODELS?: R2Like };

export type ModelSetName = 'default' | 'fixtures' | 'lookalikes';

function misconfigured(detail: string): ProblemError {
  return new ProblemError('model-store-failed', `Model store configuration: ${detail}`);
}

export interface ModelSet {
  set: ModelSetName;
  entries: ModelEntry[] | Promise<ModelEntry[]>;
  /**
   * The set's entailment calibration (shared/vision/calibration.ts); none: DEFAULT_ENTAIL_CALIBRATION. Where a
   * calibration has been fitted for a set's entail models (scripts/calibrate-entailment.ts), the set carries it here.
   */
  calibration?: LogisticCalibration;
}

export function modelSetFromEnv(env: ModelEnv): ModelSet {
  const set = envString(env, 'MODEL_SET') ?? 'default';
  if (set === 'default') return { set, entries: MODELS };
  if (set === 'fixtures') return { set, entries: fixtureEntries() };
  if (set === 'lookalikes') return { set, entries: LOOKALIKES, calibration: LOOKALIKE_CALIBRATION };
  throw misconfigured(`MODEL_SET must be "default", "fixtures" or "lookalikes", got "${set}".`);
}

function bucketFromEnv(env: ModelEnv, kind: string): ObjectStore | undefined {
  if (kind === 'r2') {
    if (!env.MODELS) throw misconfigured('MODEL_STORE=r2 but there is no MODELS R2 binding.');
    return r2ObjectStore(env.MODELS);
  }
  if (kind === 's3') {
    const need: VariableName[] = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'];
    const missing = need.filter((n) => !envString(env, n));
    if (missing.length) throw misconfigured(`MODEL_STORE=s3 needs ${missing.join(', ')}.`);
    return s3ObjectStore({ endpoint: envString(env, 'S3_ENDPOINT')!, bucket: envString(env, 'S3_BUCKET')!, region: envString(env, 'S3_REGION') ?? undefined, accessKeyId: envString(env, 'S3_ACCESS_KEY_ID')!, secretAccessKey: envString(env, 'S3_SECRET_ACCESS_KEY')! });
  }
  if (kind === 'origin') return undefined;
  throw misconfigured(`MODEL_STORE must be "r2", "s3" or "origin", got "${kind}".`);
}

export interface StoreFromEnvOptions {
  /** Replaces global fetch for origin downloads (tests count requests through it). */
  fetch?: typeof fetch;
}

export function modelStoreFromEnv(env: ModelEnv, opts: StoreFromEnvOptions = {}): ModelStore {
  const { set } = modelSetFromEnv(env);
  const base = envString(env, 'MODEL_ORIGIN_BASE') ?? undefined;
  return new ModelStore({
    bucket: bucketFromEnv(env, envString(env, 'MODEL_STORE') ?? (env.MODELS ? 'r2' : 'origin')),
    // fixtures come from the generator unless a base URL says where their files are served
    origin: set === 'fixtures' && !base ? fixtureOrigin : httpOrigin({ base, fetch: opts.fetch }),
    trustOnFirstUse: envString(env, 'MODEL_TRUST_ON_FIRST_USE') === 'true',
  });
}

export function createModelRuntime(env: ModelEnv, provider: OrtProvider, opts: StoreFromEnvOptions = {}): ModelRuntime {
  const { set, entries } = modelSetFromEnv(env);
  const parts = modelPartsFromEnv(env);
  return new ModelRuntime({
    set, entries, store: modelStoreFromEnv(env, opts), provider, budget: budgetFromEnv(envValue(env, 'MEMORY_BUDGET_MB')),
    parts: parts.names.length ? parts : undefined,
    partTimeoutMs: envInt(env, 'PART_TIMEOUT_MS'),
    warmParts: envString(env, 'PART_WARMUP') !== 'off',
  });
}

/** A runtime is made anew when any variable of its scope changes (the model store's included). */
const CONFIG_KEYS = scopeVariables('runtime');
const runtimes = new Map<string, ModelRuntime>();

/**
 * The isolate's runtime for this configuration: sessions survive across requests. Creating it does no work
 * (no ORT start, no download), so calling this on every request is cheap.
 */
export function modelRuntimeFromEnv(env: ModelEnv, provider: OrtProvider): ModelRuntime {
  const key = JSON.stringify([provider.name, !!env.MODELS, ...configKey(env, CONFIG_KEYS), modelPartsFromEnv(env).names]);
  let rt = runtimes.get(key);
  if (!rt) {
    rt = createModelRuntime(env, provider);
    runtimes.set(key, rt);
  }
  return rt;
}
