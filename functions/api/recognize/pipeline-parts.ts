/**
 * Turns the Worker's environment into pipeline parts: the recognizer (hosted LLM), the vision
 * stages (in-process from MODEL_SET, or behind a service binding or URL), image intake, and the
 * description of each stage (the answer's `models`, GET /v1/models). Parts are built once per isolate
 * per environment and reused: clients, sessions and codecs are expensive to set up and cheap to share,
 * and none of them depends on the request.
 */
import type { StageModel } from '../../../shared/api/schemas';
import { modelSetFromEnv } from '../../../models/runtime-from-env';
import { envString, limitsFromEnv } from '../../../shared/config';
import { intakeImage, DEFAULT_INTAKE_OPTIONS, type IntakeOptions, type IntakeSource } from '../../../shared/image/intake';
import { STAGE_KINDS, type Recognizer, type StageKind } from '../../../shared/pipeline/contracts';
import type { IntakeResult } from '../../../shared/pipeline/orchestrator';
import { createRecognizer, describeLlm, llmConfigFromEnv } from '../../../shared/recognize';
import { placementOf, stageServiceBinding, visionStagesFromEnv, type PlacedStages } from '../../../shared/stages/from-env';
import type { ModelLayer } from '../../../shared/stages/host';
import { runtimeModelAccess } from '../../../shared/stages/model-access';
import type { ModelRuntime } from '../../../shared/onnx/model-runtime';
import type { ApiBindings } from '../env';
import { imageDecoder } from './image-decoder';
import { imagesDownscaler } from './image-downscaler';


export interface PipelineParts {
  recognize: Recognizer | null;
  /** Variables to set when `recognize` is null. */
  missingLlm: string[];
  /** Null when no vision stage is configured at all (MODEL_SET unset and no remote stage). */
  vision: PlacedStages | null;
  /** The image of a request, fetched or read, checked, downscaled and decoded within this environment's limits. */
  intake(source: IntakeSource, signal: AbortSignal): Promise<IntakeResult>;
  /** One row per stage; only `loaded` of an in-process model is read afresh (sessions load and unload). */
  describe(): Promise<StageModel[]>;
}

/**
 * The models this isolate can run itself. Set once, at module scope, by the entry that carries ORT (index.ts, also
 * the workerd test suite's main); the split deployment's entry (edge.ts) leaves it unset, so its bundle has no ORT
 * and every stage must be remote.
 */
let layer: ModelLayer | null = null;
export function useLocalModels(l: ModelLayer): void {
  layer = l;
}
/** The layer set by useLocalModels, or null in the split deployment's api (GET /v1/models/{id}/files reads it). */
export const localModels = (): ModelLayer | null => layer;
const built = new WeakMap<object, Promise<PipelineParts>>();

/** Vision stages are opt-in: without MODEL_SET or a remote stage the answer's vision fields are null. */
const visionConfigured = (env: ApiBindings) =>
  envString(env, 'MODEL_SET') !== null || STAGE_KINDS.some((k) => placementOf(env, k) !== 'in-process');

/** The parts for this environment, built on its first request (a failed build is retried by the next one). */
export function pipelineParts(env: ApiBindings): Promise<PipelineParts> {
  let parts = built.get(env);
  if (!parts) {
    parts = buildParts(env);
    parts.catch(() => built.delete(env));
    built.set(env, parts);
  }
  return parts;
}

export const describeStages = async (env: ApiBindings): Promise<StageModel[]> => (await pipelineParts(env)).describe();

async function buildParts(env: ApiBindings): Promise<PipelineParts> {
  const llm = llmConfigFromEnv(env);
  let vision: PlacedStages | null = null;
  let runtime: ModelRuntime | null = null;
  if (visionConfigured(env)) {
    if (layer) {
      runtime = layer.runtime(env);
      vision = visionStagesFromEnv(env, {
        entries: await layer.entries(env),
        models: runtimeModelAccess(runtime, layer.tokenizers(env)),
        calibration: layer.calibration?.(env),
        ai: env.AI,
      });
    // the entail Worker decides with its set's calibration; the answer reports the same one
    } else vision = remoteOnly(visionStagesFromEnv(env, { entries: [], calibration: modelSetFromEnv(env).calibration, ai: env.AI }));
  }
  const recognize = llm.config ? createRecognizer(llm.config, { ai: env.AI }) : null;
  const rows = stageRows(env, recognize, llm.missing, vision);
  // Only in-process sessions are visible from here; a remote stage reports its own.
  const local = STAGE_KINDS.some((k) => vision?.placement[k] === 'in-process') ? runtime : null;
  const intakeOptions = intakeOptionsFromEnv(env);
  const decoders = { decoder: imageDecoder(), downscaler: env.IMAGES ? imagesDownscaler(env.IMAGES) : undefined };
  return {
    recognize,
    missingLlm: llm.missing,
    vision,
    intake: (source, signal) => intakeImage(source, { ...intakeOptions, signal }, decoders),
    async describe() {
      if (!local) return rows.map(({ modelIds, ...row }) => row);
      const loaded = new Set((await local.list()).filter((m) => m.loaded).map((m) => m.id));
      return rows.map(({ modelIds, ...row }) => (modelIds ? { ...row, loaded: modelIds.every((id) => loaded.has(id)) } : row));
    },
  };
}

function intakeOptionsFromEnv(env: ApiBindings): IntakeOptions {
  const limits = limitsFromEnv(env);
  return {
    ...DEFAULT_INTAKE_OPTIONS,
    maxBytes: limits.maxImageBytes,
    maxPixels: limits.maxImagePixels,
    fetchTimeoutMs: limits.imageFetchTimeoutMs,
    allowInsecureUrls: limits.allowInsecureImageUrls,
  };
}

/** Without local models an ONNX stage cannot run here: say which binding would place it elsewhere. */
function remoteOnly(placed: PlacedStages): PlacedStages {
  const missing: PlacedStages['missing'] = {};
  const problems: string[] = [];
  for (const kind of STAGE_KINDS) {
    if (placed.placement[kind] !== 'in-process' || placed[kind]) continue;
    const service = stageServiceBinding(kind);
    missing[kind] = [service];
    problems.push(`this api Worker carries no onnxruntime (functions/api/edge.ts): bind ${service} to the ${kind} Worker (infra/workers.ts)`);
  }
  return { ...placed, missing, problems };
}

/** The rows of the stages, with the ids of the in-process models whose `loaded` state each row reports. */
function stageRows(env: ApiBindings, recognize: Recognizer | null, missingLlm: string[], vision: PlacedStages | null): (StageModel & { modelIds?: string[] })[] {
  const llm = describeLlm(env);
  const row = (kind: StageKind): StageModel & { modelIds?: string[] } => {
    const stage = vision?.[kind];
    const placement = vision?.placement[kind] ?? null;
    if (!stage) {
      const why = !vision
        ? 'set MODEL_SET (fixtures | default) or a remote stage to enable it'
        : vision.problems.join('; ') || `set ${(vision.missing[kind] ?? []).join(', ')}`;
      return { stage: kind, configured: false, provider: null, model: null, placement: null, loaded: null, detail: why };
    }
    const ids = stage.id.replace(/^[a-z]+:/, '');
    const inProcess = placement === 'in-process';
    const local = inProcess && !ids.startsWith('vlm:');
    return {
      stage: kind,
      configured: true,
      provider: ids.startsWith('vlm:') ? 'vlm' : inProcess ? `onnxruntime-web (MODEL_SET=${envString(env, 'MODEL_SET') ?? 'default'})` : placement,
      model: ids,
      placement,
      loaded: local ? false : null,
      ...(kind === 'entail' ? { detail: `calibration: ${vision!.calibration}` } : {}),
      ...(local ? { modelIds: ids.split('+') } : {}),
    };
  };
  return [
    {
      stage: 'recognize',
      configured: recognize !== null,
      provider: llm.provider,
      model: llm.model,
      placement: null,
      loaded: null,
      ...(recognize ? {} : { detail: `set ${missingLlm.join(', ')}` }),
    },
    ...STAGE_KINDS.map(row),
  ];
}
