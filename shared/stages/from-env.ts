/**
 * Everything the api (or a stage host) needs to get its vision stages from the environment. Where
 * each stage runs is configuration, not code:
 *   ENTAIL_SERVICE / GROUND_SERVICE / SEGMENT_SERVICE   service binding to the stage's Worker (RPC)
 *   ENTAIL_URL / GROUND_URL / SEGMENT_URL               base URL of a host serving its HTTP face (Node)
 *   neither                                             in-process, from MODEL_SET (config.ts)
 */
import type { AiBindingLike } from '../llm';
import type { ModelEntry } from '../onnx/manifest-types';
import type { LogisticCalibration } from '../vision/calibration';
import { visionConfigFromEnv } from './config';
import type { StageKind } from './http-app';
import { createVisionStages, type VisionStages } from './index';
import { httpEntailStage, httpGroundStage, httpSegmentStage, rpcEntailStage, rpcGroundStage, rpcSegmentStage, type EntailRpc, type GroundRpc, type SegmentRpc } from './remote';
import type { ModelAccess } from './session';

export type Placement = 'in-process' | 'service-binding' | 'url';

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

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const NAMES: Record<StageKind, string> = { entail: 'ENTAIL', ground: 'GROUND', segment: 'SEGMENT' };

function placementOf(env: Record<string, unknown>, kind: StageKind): Placement {
  if (env[`${NAMES[kind]}_SERVICE`]) return 'service-binding';
  if (str(env[`${NAMES[kind]}_URL`])) return 'url';
  return 'in-process';
}

export function visionStagesFromEnv(env: Record<string, unknown>, deps: VisionEnvDeps): PlacedStages {
  const placement = { entail: placementOf(env, 'entail'), ground: placementOf(env, 'ground'), segment: placementOf(env, 'segment') };
  const r = visionConfigFromEnv(env, { entries: deps.entries, calibration: deps.calibration });
  const local = placement.entail === 'in-process' || placement.ground === 'in-process' || placement.segment === 'in-process';
  const cfg = {
    entail: placement.entail === 'in-process' ? r.config.entail : null,
    ground: placement.ground === 'in-process' ? r.config.ground : null,
    segment: placement.segment === 'in-process' ? r.config.segment : null,
  };
  const built = local ? createVisionStages(cfg, { models: deps.models, fetch: deps.fetch, ai: deps.ai }) : { entail: null, ground: null, segment: null };
  const doFetch = deps.fetch;
  const remote = <T>(kind: StageKind, rpc: (b: never) => T, http: (url: string, f?: typeof fetch) => T): T | null => {
    if (placement[kind] === 'service-binding') return rpc(env[`${NAMES[kind]}_SERVICE`] as never);
    if (placement[kind] === 'url') return http(str(env[`${NAMES[kind]}_URL`])!, doFetch);
    return null;
  };
  const missing = Object.fromEntries(Object.entries(r.missing).filter(([k]) => placement[k as StageKind] === 'in-process'));
  return {
    entail: remote('entail', (b: EntailRpc) => rpcEntailStage(b, 'ENTAIL_SERVICE'), httpEntailStage) ?? built.entail,
    ground: remote('ground', (b: GroundRpc) => rpcGroundStage(b, 'GROUND_SERVICE'), httpGroundStage) ?? built.ground,
    segment: remote('segment', (b: SegmentRpc) => rpcSegmentStage(b, 'SEGMENT_SERVICE'), httpSegmentStage) ?? built.segment,
    placement,
    calibration: (deps.calibration ?? r.config.entail?.calibration)?.source ?? 'default',
    missing,
    problems: r.problems,
  };
}
