/**
 * The pipeline: image intake + recognition (in parallel) -> entailment -> grounding -> segmentation.
 *
 * Three rules make it fast: overlap (image-level model work starts as soon as the image is decoded
 * and the LLM request is on its way, and runs while the LLM call is in flight), once per image (stages get all expressions of a post in
 * one call and reuse their image-level work), early exit (ungroundable entities skip grounding and
 * segmentation; segmentation runs only when masks are asked for).
 *
 * Two bounds keep one post from buying unbounded work (limits.ts): at most `maxEntities` entities go on to the
 * vision stages (the rest are listed in `dropped` and named in a warning), and no stage call gets more than
 * `stageBatch` expressions or boxes (a larger set runs as consecutive calls, so the runtime's heap grows with
 * the chunk, not with the post).
 */
import type { IntakeImage } from '../image/types';
import { ProblemError, isProblem } from '../problems';
import {
  STAGE_KINDS,
  type Box, type DroppedEntity, type EntailStage, type GroundStage, type LabelSet, type RecognizedEntity, type RecognizeOutput, type Recognizer,
  type SegmentStage, type StageKind,
} from './contracts';
import { DEFAULT_WORK_LIMITS, type WorkLimits } from './limits';
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
  /** Entity cap and stage batch size; DEFAULT_WORK_LIMITS when absent. */
  limits?: WorkLimits;
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
  | { type: 'entity'; stage: StageKind; index: number; entity: PipelineEntity };

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
    const limits = req.limits ?? DEFAULT_WORK_LIMITS;
    const intakeP = timer.time('intake', () => intake(abort.signal)).catch(fail);
    let onSent!: () => void;
    let handedOver = false;
    let llmDone = false;
    const sent = new Promise<void>((resolve) => (onSent = resolve));
    const recognizeP = timer
      .time('recognize', () =>
        stages.recognize.recognize({
          text: req.text, labels: req.labels, caption: req.caption, image_url: req.image_url,
          request_id: req.request_id, signal: abort.signal, max_entities: limits.maxEntities,
          onSent: () => {
            timer.mark('llm_sent');
            handedOver = true;
            onSent();
          },
        }),
      )
      .finally(() => (llmDone = true))
      .catch(fail);

    // Image-level work overlaps the LLM call only if the request is on the wire first: an ORT run holds
    // the isolate's one thread, and workerd writes the request to the socket on that thread. So prepare()
    // starts once the pixels exist and the request has been handed over plus LLM_SEND_SETTLE_MS. Only the wait
    // for the signal is bounded (LLM_SENT_WAIT_MS from when the pixels exist, or the recognizer finishing): once
    // it has come, the full allowance follows even if the signal itself was late (a JPEG decode holding the
    // thread delays it). None at all when the client runs the vision stages itself.
    const vision = req.vision !== false;
    const preparedP = intakeP.then(async (r) => {
      if (!vision) return;
      await settleFirst([sent, recognizeP], LLM_SENT_WAIT_MS);
      if (handedOver && !llmDone) await settle();
      return prepareStages(r.image, stages, req.masks, timer);
    });
    // Awaited below when entities exist; an intake failure is reported through intakeP instead.
    preparedP.catch(() => undefined);
    const [intakeResult, recognized] = await Promise.all([intakeP, recognizeP]);
    const { image } = intakeResult;
    const warnings = [...intakeResult.warnings];
    const recognition = capEntities(recognized, limits.maxEntities, warnings);

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
      await attachVisualEvidence(entities, image, stages, req.masks, limits.stageBatch, timer, warnings, onEvent);
    }
    for (const s of STAGE_KINDS.filter((k) => k !== 'segment' || req.masks)) {
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
  const prep = (name: StageKind, stage: { prepare?(img: IntakeImage['pixels'], key: string): Promise<void> } | null | undefined) => {
    if (stage?.prepare) jobs.push(timer.time(`${name}_prepare`, () => guard(name, () => stage.prepare!(image.pixels, key))));
  };
  prep('entail', stages.entail);
  prep('ground', stages.ground);
  if (masks) prep('segment', stages.segment);
  await Promise.all(jobs);
}

/**
 * Keeps the first `max` entities in text order. The cut ones join `dropped`, one entry per name and type with
 * its count, and a warning names them, so a client sees what was not examined and why.
 */
export function capEntities(r: RecognizeOutput, max: number, warnings: string[]): RecognizeOutput {
  if (r.entities.length <= max) return r;
  const cut = new Map<string, { text: string; type: string; n: number }>();
  for (const e of r.entities.slice(max)) {
    const key = `${e.text}\u0000${e.type}`;
    const seen = cut.get(key);
    if (seen) seen.n++;
    else cut.set(key, { text: e.text, type: e.type, n: 1 });
  }
  const groups = [...cut.values()];
  const why = `over the limit of ${max} entities per post (MAX_ENTITIES_PER_POST)`;
  const dropped: DroppedEntity[] = groups.map((g) => ({ text: g.text, type: g.type, reason: `${why}: ${g.n === 1 ? '1 mention' : `${g.n} mentions`} not examined` }));
  const names = groups.slice(0, 5).map((g) => `"${g.text}" (${g.type}) ×${g.n}`).join(', ');
  const more = groups.length > 5 ? ` and ${groups.length - 5} more names` : '';
  warnings.push(`${r.entities.length - max} of ${r.entities.length} entities were cut, ${why}: ${names}${more}; see dropped`);
  return { ...r, entities: r.entities.slice(0, max), dropped: [...r.dropped, ...dropped] };
}

/** Runs `call` over consecutive chunks of at most `size` items; results come back in order, one per item. */
async function inChunks<T, R>(items: T[], size: number, call: (chunk: T[], offset: number) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await call(items.slice(i, i + size), i)));
  return out;
}

async function attachVisualEvidence(
  entities: PipelineEntity[], image: IntakeImage, stages: PipelineStages, masks: boolean, batch: number, timer: StageTimer, warnings: string[],
  onEvent: PipelineListener,
) {
  const emit = (stage: StageKind, e: PipelineEntity) => onEvent({ type: 'entity', stage, index: entities.indexOf(e), entity: { ...e } });
  const key = image.sha256;
  const px = image.pixels;
  // Stages see the (possibly platform-downscaled) pixels; answers are in original display pixels.
  const toOriginal = 1 / image.scale;

  if (!stages.entail) return;
  await timer.time('entail', () => guard('entail', () => inChunks(entities, batch, async (chunk) => {
    const entailments = await stages.entail!.entail(px, key, chunk.map((e) => e.expansion));
    chunk.forEach((e, i) => {
      e.groundable = entailments[i].groundable;
      e.entailment_score = entailments[i].score;
      emit('entail', e);
    });
    return entailments;
  })));

  const groundable = entities.filter((e) => e.groundable);
  if (groundable.length === 0 || !stages.ground) return;
  await timer.time('ground', () => guard('ground', () => inChunks(groundable, batch, async (chunk) => {
    const groundings = await stages.ground!.ground(px, key, chunk.map((e) => e.expansion));
    chunk.forEach((e, i) => {
      const g = groundings[i];
      e.box = g ? { ...scaleBox(g.box, toOriginal, image), score: g.score } : null;
      emit('ground', e);
    });
    return groundings;
  })));
  const boxed = groundable.filter((e) => e.box);
  if (groundable.length > boxed.length) warnings.push(`${groundable.length - boxed.length} groundable entities got no box`);

  if (!masks || boxed.length === 0 || !stages.segment) return;
  const output = { width: image.width, height: image.height };
  await timer.time('segment', () => guard('segment', () => inChunks(boxed, batch, async (chunk) => {
    const segs = await stages.segment!.segment(px, key, chunk.map((e) => scaleBox(e.box!, image.scale, px)), output);
    chunk.forEach((e, i) => {
      const s = segs[i];
      e.mask = { size: s.mask.size, counts: s.mask.counts, area: s.area, score: s.score };
      emit('segment', e);
    });
    return segs;
  })));
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

/** Stage errors that are not already problems become a 502 that names the stage; the error itself is for the logs. */
async function guard<T>(stage: StageKind, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isProblem(e)) throw e;
    throw new ProblemError('stage-failed', `The ${stage} stage failed; its error is in the logs under this request id.`, { extensions: { dependency: stage }, cause: e });
  }
}
