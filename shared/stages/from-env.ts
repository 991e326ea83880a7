/**
 * Everything the api (or a stage host) needs to get its vision stages from the environment. Where
 * each stage runs is configuration, not code:
 *   ENTAIL_SERVICE / GROUND_SERVICE / SEGMENT_SERVICE   service binding to the stage's Worker (RPC)
 *   ENTAIL_URL / GROUND_URL / SEGMENT_URL               base URL of a host serving its HTTP face (Node)
 *   neither                                             in-process, from MODEL_SET (config.ts)
 *   STAGE_TIMEOUT_MS, ENTAIL_TIMEOUT_MS / GROUND_TIMEOUT_MS / SEGMENT_TIMEOUT_MS
 *                                                       deadline of each call to a remote stage (default 60 000 ms;
 *                                                       the per-stage one wins), then 504 stage-timeout
 */
import type { AiBindingLike } from '../llm';
import type { ModelEntry } from '../onnx/manifest-types';
import type { LogisticCalibration } from '../vision/calibration';
import { visionConfigFromEnv } from './config';
import type { Placement, StageKind } from '../pipeline/contracts';
import { createVisionStages, type VisionStages } from './index';
import { envInt, envString, envValue, type ConfigEnv } from '../config';
import type { LlmEnv } from '../llm/config';
import { DEFAULT_STAGE_TIMEOUT_MS, httpStage, rpcStage } from './remote';
import type { ModelAccess } from './model-access';

export interface VisionEnvDeps {
  /** Sessions and tokenizers of the configured model set (only used for in-process stages). */
  models?: ModelAccess;
  entries: readonly ModelEntry[];
  calibration?: LogisticCalibration;
  fetch?: typeof fetch;
  ai?: AiBindingLike | Ai;
}

export interface PlacedStages extends VisionStages {
  placement: Record<StageKind, Placement>;
  /** Whether entailment decisions use a fitted calibration or the documented default (for the answer's `models`). */
  calibration: LogisticCalibration['source'];
  /** Per stage, the variables to set when it is null. */
  missing: Partial<Record<StageKind, string[]>>;
  problems: string[];
}

const NAMES = { entail: 'ENTAIL', ground: 'GROUND', segment: 'SEGMENT' } as const satisfies Record<StageKind, string>;

/** The api's service binding to a stage's Worker (`ENTAIL_SERVICE`, ...): read here, written by infra/workers.ts. */
export const stageServiceBinding = <K extends StageKind>(kind: K) => `${NAMES[kind]}_SERVICE` as const;

export function placementOf(env: ConfigEnv, kind: StageKind): Placement {
  if (envValue(env, stageServiceBinding(kind))) return 'service-binding';
  if (envString(env, `${NAMES[kind]}_URL`)) return 'url';
  return 'in-process';
}

/** The deadline of one call to a remote stage: `<STAGE>_TIMEOUT_MS`, else `STAGE_TIMEOUT_MS`, else 60 s. */
export function stageTimeoutMs(env: ConfigEnv, kind: StageKind): number {
  return envInt(env, `${NAMES[kind]}_TIMEOUT_MS`, envInt(env, 'STAGE_TIMEOUT_MS'));
}

export function visionStagesFromEnv(env: LlmEnv, deps: VisionEnvDeps): PlacedStages {
  const placement = { entail: placementOf(env, 'entail'), ground: placementOf(env, 'ground'), segment: placementOf(env, 'segment') };
  const r = visionConfigFromEnv(env, { entries: deps.entries, calibration: deps.calibration });
  const local = placement.entail === 'in-process' || placement.ground === 'in-process' || placement.segment === 'in-process';
  const cfg = {
    entail: placement.entail === 'in-process' ? r.config.entail : null,
    ground: placement.ground === 'in-process' ? r.config.ground : null,
    segment: placement.segment === 'in-process' ? r.config.segment : null,
  };
  const built = local ? createVisionStages(cfg, { models: deps.models, fetch: deps.fetch, ai: deps.ai }) : { entail: null, ground: null, segment: null };
  const remote = <K extends StageKind>(kind: K) => {
    const timeoutMs = stageTimeoutMs(env, kind);
    const service = stageServiceBinding(kind);
    const url = `${NAMES[kind]}_URL` as const;
    if (placement[kind] === 'service-binding') return rpcStage(kind, envValue(env, service) as never, { name: service, timeoutMs });
    if (placement[kind] === 'url') return httpStage(kind, envString(env, url)!, { name: url, timeoutMs, fetch: deps.fetch });
    return null;
  };
  const missing = Object.fromEntries(Object.entries(r.missing).filter(([k]) => placement[k as StageKind] === 'in-process'));
  return {
    entail: remote('entail') ?? built.entail,
    ground: remote('ground') ?? built.ground,
    segment: remote('segment') ?? built.segment,
    placement,
    calibration: (deps.calibration ?? r.config.entail?.calibration)?.source ?? 'default',
    missing,
    problems: r.problems,
  };
}
