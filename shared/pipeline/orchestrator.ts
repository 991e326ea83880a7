/**
 * The pipeline: image intake + recognition (in parallel) -> entailment -> grounding -> segmentation.
 *
 * Three rules make it fast: overlap (image-level model work starts as soon as the image is decoded
 * and the LLM request is on its way, and runs while the LLM call is in flight), once per image (stages get all expressions of a post in
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
}

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
 * Longest wait for the recognizer's "request sent" signal before image work starts anyway, so a slow
 * connect or a recognizer that cannot signal never stalls the encoders for long.
 */
export const LLM_SENT_WAIT_MS = 100;

/**
 * How long the event loop gets, once the request has been handed over, to put it on the wire before the
 * encoders take the thread. Nothing in a Worker says when the socket write happened, so this is a measured
 * allowance: on a loaded 2-core machine (load average ~13) a fresh loopback connection took 20-34 ms from
 * fetch() to the server having the request (test/workers/pipeline-overlap.test.ts; the pipeline bench with
 * --prepare-delay-ms 2000), and 25 ms was not always enough. A cold TLS connection to a far provider may need
 * longer: then the request leaves when the first ORT run ends, as before. 50 ms is little against an LLM call
 * of a second or more, and costs nothing when the LLM is slower than the image work.
 */
export const LLM_SEND_SETTLE_MS = 50;

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
    let onSent!: () => void;
    let handedOver = false;
    let recognized = false;
    const sent = new Promise<void>((resolve) => (onSent = resolve));
    const recognizeP = timer
      .time('recognize', () =>
        stages.recognize.recognize({
          text: req.text, labels: req.labels, caption: req.caption, image_url: req.image_url,
          request_id: req.request_id, signal: abort.signal,
          onSent: () => {
            timer.mark('llm_sent');
            handedOver = true;
            onSent();
          },
        }),
      )
      .finally(() => (recognized = true))
      .catch(fail);

    // Image-level work overlaps the LLM call only if the request is on the wire first: an ORT run holds
    // the isolate's one thread, and workerd writes the request to the socket on that thread. So prepare()
    // starts once the pixels exist and the request has been handed over plus LLM_SEND_SETTLE_MS. Only the wait
    // for the signal is bounded (LLM_SENT_WAIT_MS from when the pixels exist, or the recognizer finishing): once
    // it has come, the full allowance follows even if the signal itself was late (a JPEG decode holding the
    // thread delays it).
    const preparedP = intakeP.then(async (r) => {
      await settleFirst([sent, recognizeP], LLM_SENT_WAIT_MS);
      if (handedOver && !recognized) await settle();
      return prepareStages(r.image, stages, req.masks, timer);
    });
    // Awaited below when entities exist; an intake failure is reported through intakeP instead.
    preparedP.catch(() => undefined);
    const [intakeResult, recognition] = await Promise.all([intakeP, recognizeP]);
    const { image } = intakeResult;
    const warnings = [...intakeResult.warnings];

    const entities: PipelineEntity[] = recognition.entities.map((e) => ({
      ...e, groundable: null, entailment_score: null, box: null, mask: null,
    }));

    onEvent({ type: 'entities', entities: entities.map((e) => ({ ...e })), dropped: recognition.dropped });
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

/** Leaves the thread to the runtime's event loop for a moment, so it can connect and write the request. */
async function settle(): Promise<void> {
  // Many short turns rather than one timer: each lets the loop handle whatever I/O became ready (connected,
  // writable), where one long timer can fire in the same loop pass as the connect and hand the thread to ORT first.
  const end = performance.now() + LLM_SEND_SETTLE_MS;
  do await new Promise<void>((resolve) => setTimeout(resolve, 1));
  while (performance.now() < end);
}

/** Resolves when the first of `work` settles (either way) or after `ms`, whichever comes first. */
function settleFirst(work: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  const done = () => undefined;
  return Promise.race([bound, ...work.map((p) => p.then(done, done))]).finally(() => clearTimeout(timer));
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
