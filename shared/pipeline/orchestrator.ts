/**
 * The pipeline: image intake + recognition (in parallel) -> entailment -> grounding -> segmentation.
 *
 * Three rules make it fast: overlap (image-level model work starts as soon as the image is decoded,
 * while the LLM call is still in flight), once per image (stages get all expressions of a post in
 * one call and reuse their image-level work), early exit (ungroundable entities skip grounding and
 * segmentation; segmentation runs only when masks are asked for).
 */
import type { IntakeImage } from '../image/types';
import { ProblemError, isProblem } from '../problems';
import type {
  Box, EntailStage, GroundStage, LabelSet, RecognizedEntity, RecognizeOutput, Recognizer, SegmentStage,
} from './contracts';
import { StageTimer } from './timer';

export interface PipelineRequest {
  text: string;
  labels: LabelSet;
  masks: boolean;
  caption?: string;
  /** Passed to multimodal LLMs when the recognizer is configured to send the image. */
  image_url?: string;
  request_id: string;
  /** false: recognition only, at the client's request (it runs the vision stages itself); default true. */
  vision?: boolean;
}

export const VISION_SKIPPED_WARNING = 'vision stages skipped at the client\'s request (options.vision = "none"): groundable, entailment_score, box and mask are null';

export interface IntakeResult {
  image: IntakeImage;
  warnings: string[];
  timings_ms?: Record<string, number>;
}

export interface PipelineStages {
  recognize: Recognizer;
  entail?: EntailStage | null;
  ground?: GroundStage | null;
  segment?: SegmentStage | null;
}

/** A recognized entity with what the vision stages found; a field stays null when its stage did not run. */
export interface PipelineEntity extends RecognizedEntity {
  groundable: boolean | null;
  entailment_score: number | null;
  box: (Box & { score: number }) | null;
  mask: { size: [number, number]; counts: string; area: number; score: number } | null;
}

export interface PipelineResult {
  image: IntakeImage;
  entities: PipelineEntity[];
  recognition: RecognizeOutput;
  timings_ms: Record<string, number>;
  warnings: string[];
}

type StageName = 'entail' | 'ground' | 'segment';

/**
 * Progress as the answer is made, for streaming: the entities once the LLM has answered, then each
 * entity again whenever a stage fills more of it (groundability, then box, then mask).
 */
export type PipelineEvent =
  | { type: 'entities'; entities: PipelineEntity[]; dropped: RecognizeOutput['dropped'] }
  | { type: 'entity'; stage: StageName; index: number; entity: PipelineEntity };

export type PipelineListener = (event: PipelineEvent) => void;

export async function runPipeline(
  req: PipelineRequest,
  intake: (signal: AbortSignal) => Promise<IntakeResult>,
  stages: PipelineStages,
  signal?: AbortSignal,
  onEvent: PipelineListener = () => undefined,
): Promise<PipelineResult> {
  const timer = new StageTimer();
  // One failure (a bad image, a dead LLM) cancels the other branch instead of letting it run on.
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onOuterAbort);
  const fail = (e: unknown) => {
    abort.abort(e);
    throw e;
  };

  try {
    const intakeP = timer.time('intake', () => intake(abort.signal)).catch(fail);
    const recognizeP = timer
      .time('recognize', () =>
        stages.recognize.recognize({
          text: req.text, labels: req.labels, caption: req.caption, image_url: req.image_url,
          request_id: req.request_id, signal: abort.signal,
        }),
      )
      .catch(fail);

    // Image-level work starts the moment pixels exist, overlapping the LLM call.
    const vision = req.vision !== false;
    const preparedP = intakeP.then((r) => (vision ? prepareStages(r.image, stages, req.masks, timer) : undefined));
    // Awaited below when entities exist; an intake failure is reported through intakeP instead.
    preparedP.catch(() => undefined);
    const [intakeResult, recognition] = await Promise.all([intakeP, recognizeP]);
    const { image } = intakeResult;
    const warnings = [...intakeResult.warnings];

    const entities: PipelineEntity[] = recognition.entities.map((e) => ({
      ...e, groundable: null, entailment_score: null, box: null, mask: null,
    }));

    onEvent({ type: 'entities', entities: entities.map((e) => ({ ...e })), dropped: recognition.dropped });
    if (!vision) {
      warnings.push(VISION_SKIPPED_WARNING);
      return { image, entities, recognition, timings_ms: timer.total(), warnings };
    }
    if (entities.length > 0) {
      await preparedP;
      await attachVisualEvidence(entities, image, stages, req.masks, timer, warnings, onEvent);
    }
    for (const s of ['entail', 'ground', ...(req.masks ? ['segment'] : [])] as StageName[]) {
      if (!stages[s]) warnings.push(`${s} stage is not configured: its fields are null`);
    }
    return { image, entities, recognition, timings_ms: timer.total(), warnings };
  } finally {
    signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function prepareStages(image: IntakeImage, stages: PipelineStages, masks: boolean, timer: StageTimer) {
  const key = image.sha256;
  const jobs: Promise<void>[] = [];
  const prep = (name: StageName, stage: { prepare?(img: IntakeImage['pixels'], key: string): Promise<void> } | null | undefined) => {
    if (stage?.prepare) jobs.push(timer.time(`${name}_prepare`, () => guard(name, () => stage.prepare!(image.pixels, key))));
  };
  prep('entail', stages.entail);
  prep('ground', stages.ground);
  if (masks) prep('segment', stages.segment);
  await Promise.all(jobs);
}

async function attachVisualEvidence(
  entities: PipelineEntity[], image: IntakeImage, stages: PipelineStages, masks: boolean, timer: StageTimer, warnings: string[],
  onEvent: PipelineListener,
) {
  const emit = (stage: StageName, e: PipelineEntity) => onEvent({ type: 'entity', stage, index: entities.indexOf(e), entity: { ...e } });
  const key = image.sha256;
  const px = image.pixels;
  // Stages see the (possibly platform-downscaled) pixels; answers are in original display pixels.
  const toOriginal = 1 / image.scale;

  if (!stages.entail) return;
  const entailments = await timer.time('entail', () => guard('entail', () => stages.entail!.entail(px, key, entities.map((e) => e.expansion))));
  entities.forEach((e, i) => {
    e.groundable = entailments[i].groundable;
    e.entailment_score = entailments[i].score;
    emit('entail', e);
  });

  const groundable = entities.filter((e) => e.groundable);
  if (groundable.length === 0 || !stages.ground) return;
  const groundings = await timer.time('ground', () => guard('ground', () => stages.ground!.ground(px, key, groundable.map((e) => e.expansion))));
  groundable.forEach((e, i) => {
    const g = groundings[i];
    e.box = g ? { ...scaleBox(g.box, toOriginal, image), score: g.score } : null;
    emit('ground', e);
  });
  const boxed = groundable.filter((e) => e.box);
  if (groundable.length > boxed.length) warnings.push(`${groundable.length - boxed.length} groundable entities got no box`);

  if (!masks || boxed.length === 0 || !stages.segment) return;
  const boxesInPixels = boxed.map((e) => scaleBox(e.box!, image.scale, px));
  const output = { width: image.width, height: image.height };
  const segs = await timer.time('segment', () => guard('segment', () => stages.segment!.segment(px, key, boxesInPixels, output)));
  boxed.forEach((e, i) => {
    const s = segs[i];
    e.mask = { size: s.mask.size, counts: s.mask.counts, area: s.area, score: s.score };
    emit('segment', e);
  });
}

function scaleBox(b: Box, k: number, frame: { width: number; height: number }): Box {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    x1: clamp(b.x1 * k, frame.width), y1: clamp(b.y1 * k, frame.height),
    x2: clamp(b.x2 * k, frame.width), y2: clamp(b.y2 * k, frame.height),
  };
}

/** Stage errors that are not already problems become a 502 that names the stage. */
async function guard<T>(stage: StageName, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isProblem(e)) throw e;
    throw new ProblemError('stage-failed', `${stage} stage failed: ${(e as Error)?.message ?? String(e)}`, { extensions: { dependency: stage }, cause: e });
  }
}
