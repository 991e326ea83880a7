/**
 * Turns the Worker's environment into pipeline parts: the recognizer (hosted LLM), the vision
 * stages (in-process from MODEL_SET, or behind a service binding or URL), and image intake. Parts
 * are built once per isolate per environment and reused: clients, sessions and codecs are expensive
 * to set up and cheap to share.
 */
import type { StageModel } from '../../shared/api/schemas';
import { envString, limitsFromEnv } from '../../shared/config';
import { intakeImage, DEFAULT_INTAKE_OPTIONS, type IntakeSource } from '../../shared/image/intake';
import type { EntailStage, GroundStage, Recognizer, SegmentStage } from '../../shared/pipeline/contracts';
import type { IntakeResult } from '../../shared/pipeline/orchestrator';
import { createRecognizer, describeLlm, llmConfigFromEnv } from '../../shared/recognize';
import { placementOf, visionStagesFromEnv, type PlacedStages } from '../../shared/stages/from-env';
import type { ModelLayer } from '../../shared/stages/host';
import { runtimeModelAccess } from '../../shared/stages/session';
import { imageDecoder } from './codecs';
import type { ApiBindings } from './env';
import { imagesDownscaler } from './images';

export type ImageSource = IntakeSource;
type VisionKind = 'entail' | 'ground' | 'segment';
const VISION: VisionKind[] = ['entail', 'ground', 'segment'];

export interface Stages {
  recognize: Recognizer | null;
  /** Variables to set when `recognize` is null. */
  missingLlm: string[];
  entail: EntailStage | null;
  ground: GroundStage | null;
  segment: SegmentStage | null;
  /** Null when no vision stage is configured at all (MODEL_SET unset and no remote stage). */
  vision: PlacedStages | null;
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
const built = new WeakMap<object, Promise<Stages>>();

/** Vision stages are opt-in: without MODEL_SET or a remote stage the answer's vision fields are null. */
const visionConfigured = (env: ApiBindings) =>
  envString(env, 'MODEL_SET') !== null || VISION.some((k) => placementOf(env, k) !== 'in-process');

export function pipelineStages(env: ApiBindings): Promise<Stages> {
  let stages = built.get(env);
  if (!stages) {
    stages = buildStages(env);
    stages.catch(() => built.delete(env));
    built.set(env, stages);
  }
  return stages;
}

async function buildStages(env: ApiBindings): Promise<Stages> {
  const llm = llmConfigFromEnv(env);
  let vision: PlacedStages | null = null;
  if (visionConfigured(env)) {
    vision = layer
      ? visionStagesFromEnv(env, {
        entries: await layer.entries(env),
        models: runtimeModelAccess(layer.runtime(env), layer.tokenizers(env)),
        calibration: layer.calibration,
        ai: env.AI,
      })
      : remoteOnly(visionStagesFromEnv(env, { entries: [], ai: env.AI }));
  }
  return {
    recognize: llm.config ? createRecognizer(llm.config, { ai: env.AI }) : null,
    missingLlm: llm.missing,
    entail: vision?.entail ?? null,
    ground: vision?.ground ?? null,
    segment: vision?.segment ?? null,
    vision,
  };
}

/** Without local models an ONNX stage cannot run here: say which binding would place it elsewhere. */
function remoteOnly(placed: PlacedStages): PlacedStages {
  const missing: PlacedStages['missing'] = {};
  const problems: string[] = [];
  for (const kind of VISION) {
    if (placed.placement[kind] !== 'in-process' || placed[kind]) continue;
    const service = `${kind.toUpperCase()}_SERVICE`;
    missing[kind] = [service];
    problems.push(`this api Worker carries no onnxruntime (functions/api/edge.ts): bind ${service} to the ${kind} Worker (infra/workers.ts)`);
  }
  return { ...placed, missing, problems };
}

export function imageIntake(env: ApiBindings, source: ImageSource, signal: AbortSignal): Promise<IntakeResult> {
  const limits = limitsFromEnv(env);
  return intakeImage(
    source,
    {
      ...DEFAULT_INTAKE_OPTIONS,
      maxBytes: limits.maxImageBytes,
      maxPixels: limits.maxImagePixels,
      fetchTimeoutMs: limits.imageFetchTimeoutMs,
      allowInsecureUrls: limits.allowInsecureImageUrls,
      signal,
    },
    { decoder: imageDecoder(), downscaler: env.IMAGES ? imagesDownscaler(env.IMAGES) : undefined },
  );
}

export async function describeStages(env: ApiBindings): Promise<StageModel[]> {
  const stages = await pipelineStages(env);
  const llm = describeLlm(env);
  const loaded = await loadedModels(env, stages.vision);
  const vision = (kind: VisionKind): StageModel => {
    const stage = stages[kind];
    const placement = stages.vision?.placement[kind] ?? null;
    if (!stage) {
      const why = !stages.vision
        ? 'set MODEL_SET (fixtures | default) or a remote stage to enable it'
        : stages.vision.problems.join('; ') || `set ${(stages.vision.missing[kind] ?? []).join(', ')}`;
      return { stage: kind, configured: false, provider: null, model: null, placement: null, loaded: null, detail: why };
    }
    const ids = stage.id.replace(/^[a-z]+:/, '');
    const inProcess = placement === 'in-process';
    return {
      stage: kind,
      configured: true,
      provider: ids.startsWith('vlm:') ? 'vlm' : inProcess ? `onnxruntime-web (MODEL_SET=${envString(env, 'MODEL_SET') ?? 'default'})` : placement,
      model: ids,
      placement,
      // Only in-process sessions are visible from here; a remote stage reports its own.
      loaded: inProcess && !ids.startsWith('vlm:') ? ids.split('+').every((id) => loaded.has(id)) : null,
      ...(kind === 'entail' ? { detail: `calibration: ${stages.vision!.calibration}` } : {}),
    };
  };
  return [
    {
      stage: 'recognize',
      configured: stages.recognize !== null,
      provider: llm.provider,
      model: llm.model,
      placement: null,
      loaded: null,
      ...(stages.recognize ? {} : { detail: `set ${stages.missingLlm.join(', ')}` }),
    },
    ...VISION.map(vision),
  ];
}

async function loadedModels(env: ApiBindings, vision: PlacedStages | null): Promise<Set<string>> {
  if (!vision || !layer || !VISION.some((k) => vision.placement[k] === 'in-process')) return new Set();
  const list = await layer.runtime(env).list();
  return new Set(list.filter((m) => m.loaded).map((m) => m.id));
}
