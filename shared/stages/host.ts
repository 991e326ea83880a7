/**
 * One stage served by its own host (a stage Worker or a Node process): built in-process from the
 * host's environment (MODEL_SET, model store, the stage's variables) once per configuration, and
 * reused. A host always runs its stage itself, whatever *_SERVICE / *_URL say (those are for the api).
 */
import type { ModelEntry } from '../onnx/manifest-types';
import type { ModelRuntime } from '../onnx/model-runtime';
import type { StageKind, StageOf } from '../pipeline/contracts';
import { configKey, type ConfigEnv } from '../config';
import { scopeVariables } from '../config-variables';
import type { LlmEnv } from '../llm/config';
import { ProblemError } from '../problems';
import type { LogisticCalibration } from '../vision/calibration';
import { visionConfigFromEnv } from './config';
import { createVisionStages } from './index';
import { runtimeModelAccess, type TokenizerSource } from './model-access';

/** What the host's model layer (models/) provides for an environment. */
export interface ModelLayer {
  runtime(env: ConfigEnv): ModelRuntime;
  entries(env: ConfigEnv): ModelEntry[] | Promise<ModelEntry[]>;
  tokenizers(env: ConfigEnv): TokenizerSource;
  /** The set's entailment calibration; none: the documented default. */
  calibration?(env: ConfigEnv): LogisticCalibration | undefined;
}


const built = new Map<string, Promise<unknown>>();

/** A stage is rebuilt when any variable of its scope changes (the model runtime's and store's included). */
const CONFIG_KEYS = scopeVariables('stage');

export function hostStage<K extends StageKind>(kind: K, env: LlmEnv, layer: ModelLayer, deps: { fetch?: typeof fetch } = {}): Promise<StageOf<K>> {
  const key = JSON.stringify([kind, ...configKey(env, CONFIG_KEYS)]);
  let p = built.get(key) as Promise<StageOf<K>> | undefined;
  if (!p) {
    p = (async () => {
      const entries = await layer.entries(env);
      const r = visionConfigFromEnv(env, { entries, calibration: layer.calibration?.(env) });
      const only = { entail: null, ground: null, segment: null, [kind]: r.config[kind] };
      const needsModels = !(kind === 'ground' && r.config.ground?.provider === 'vlm');
      const models = needsModels ? runtimeModelAccess(layer.runtime(env), layer.tokenizers(env)) : undefined;
      const stage = createVisionStages(only, { models, fetch: deps.fetch, ai: env.AI as Ai | undefined })[kind];
      if (!stage) {
        throw new ProblemError('stage-failed', `the ${kind} stage is not configured on this host: ${r.problems.join('; ') || `set ${(r.missing[kind] ?? []).join(', ')}`}`, { extensions: { dependency: kind, missing: r.missing[kind] ?? [] } });
      }
      return stage as StageOf<K>;
    })();
    p.catch(() => { if (built.get(key) === p) built.delete(key); });
    built.set(key, p);
  }
  return p;
}
