/**
 * How many Worker invocations one request makes in the split deployment, from the Worker table (infra/workers.ts)
 * and the shard plans. Cloudflare: "A single request has a maximum of 32 Worker invocations, and each call to a
 * Service binding counts towards this limit" (https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/), so the
 * 33rd call of a request throws. The count follows what the stage code does, call by call:
 *
 *   api                          1
 *   each stage's prepare         1 (segment only with masks), plus its image model's run
 *   each stage call              1 per chunk of STAGE_BATCH_SIZE items, plus its model's runs for that chunk
 *   a model's run                0 in the stage's own isolate, 1 in a part Worker, one per shard for a shard chain
 *   first request of an isolate  entail embeds its negatives (one text-tower run); ground and segment warm the query
 *                                part and the decoder (one load per Worker) when PART_WARMUP allows it
 *
 * test/node/workers-invocations.test.ts counts the real invocations (tail events) of requests through real service
 * bindings and checks them against `countInvocations`, so this model of the code cannot drift from it unseen.
 */
import type { ModelEntry } from '../shared/onnx/manifest-types';
import { modelBindingName, shardBindingName } from '../shared/onnx/model-parts';
import { DEFAULT_WORK_LIMITS, workLimitsFromEnv } from '../shared/pipeline/limits';
import { stageServiceBinding } from '../shared/stages/from-env';
import { hasInput } from '../shared/stages/model-access';
import type { VisionConfig } from '../shared/stages/config';
import type { WorkerDecl } from './workers';

export const INVOCATION_LIMIT = 32;
/** Head-room the derived defaults keep under the limit (a retried call, a stage added later). */
export const INVOCATION_MARGIN = 2;

export interface RequestShape {
  masks: boolean;
  /** Entities sent to entail, those found groundable, and those that got a box. */
  entities: number;
  groundable: number;
  boxed: number;
  /** The first request of every stage isolate (all of them at once: the worst case, e.g. right after a deploy). */
  cold: boolean;
}

export interface InvocationCount {
  total: number;
  /** Invocations per Worker name. */
  byWorker: Record<string, number>;
}

/** The invocations of one run of `id` seen from `stage`: 0 here, 1 in its part Worker, one per shard. */
function runCost(stage: WorkerDecl, id: string, entries: Map<string, ModelEntry>): [string, number][] {
  const part = stage.services.find((s) => s.binding === modelBindingName(id));
  if (part) return [[part.service, 1]];
  const shards = entries.get(id)?.shards?.shards ?? [];
  const bound = shards.map((s) => stage.services.find((b) => b.binding === shardBindingName(id, s.index)));
  if (shards.length && bound.every(Boolean)) return bound.map((b) => [b!.service, 1]);
  return [];
}

const chunks = (n: number, batch: number) => Math.ceil(n / batch);

/** The invocations of one request of this shape. */
export function countInvocations(table: WorkerDecl[], entries: readonly ModelEntry[], config: VisionConfig, shape: RequestShape, stageBatch = DEFAULT_WORK_LIMITS.stageBatch): InvocationCount {
  const byWorker: Record<string, number> = {};
  const add = (name: string, n = 1) => { if (n > 0) byWorker[name] = (byWorker[name] ?? 0) + n; };
  const byName = new Map(table.map((w) => [w.name, w]));
  const byId = new Map(entries.map((e) => [e.id, e]));
  const api = table.find((w) => w.kind === 'api')!;
  add(api.name);
  const stageOf = (binding: string) => byName.get(api.services.find((s) => s.binding === binding)?.service ?? '');
  const run = (stage: WorkerDecl, id: string, times = 1) => { for (const [w, n] of runCost(stage, id, byId)) add(w, n * times); };
  const warm = (stage: WorkerDecl, id: string) => { if (shape.cold && stage.vars.PART_WARMUP !== 'off') run(stage, id); };

  const entail = stageOf(stageServiceBinding('entail'));
  if (entail && config.entail) {
    add(entail.name);
    run(entail, config.entail.visionModel);
    if (shape.cold) run(entail, config.entail.textModel); // the negatives, once per isolate
    const calls = chunks(shape.entities, stageBatch);
    add(entail.name, calls);
    run(entail, config.entail.textModel, calls);
  }
  const ground = stageOf(stageServiceBinding('ground'));
  if (ground && config.ground) {
    add(ground.name);
    const calls = chunks(shape.groundable, stageBatch);
    add(ground.name, calls);
    if (config.ground.provider === 'onnx') {
      run(ground, config.ground.imageModel);
      warm(ground, config.ground.queryModel);
      run(ground, config.ground.queryModel, calls);
    }
  }
  const segment = stageOf(stageServiceBinding('segment'));
  if (segment && config.segment && shape.masks) {
    add(segment.name);
    run(segment, config.segment.encoderModel);
    warm(segment, config.segment.decoderModel);
    const calls = chunks(shape.boxed, stageBatch);
    add(segment.name, calls);
    // the official export takes one prompt per run: one decoder run per box; the transformers.js one, one per call
    // the same test SamSegment picks its decoder contract by
    const decoder = byId.get(config.segment.decoderModel);
    const perBox = decoder ? hasInput(decoder, 'point_coords') : true;
    run(segment, config.segment.decoderModel, perBox ? shape.boxed : calls);
  }
  return { total: Object.values(byWorker).reduce((a, b) => a + b, 0), byWorker };
}

/** The most a request with up to `maxEntities` entities can make: every entity groundable and boxed, masks on, every isolate cold. */
export function worstCase(table: WorkerDecl[], entries: readonly ModelEntry[], config: VisionConfig, maxEntities: number, stageBatch: number): number {
  return countInvocations(table, entries, config, { masks: true, entities: maxEntities, groundable: maxEntities, boxed: maxEntities, cold: true }, stageBatch).total;
}

/** The api's entity cap and stage batch as the api will read them (its environment, else the defaults). */
export function workLimitsOf(env: Record<string, string | undefined>) {
  return { ...workLimitsFromEnv(env), explicit: env.MAX_ENTITIES_PER_POST !== undefined && env.MAX_ENTITIES_PER_POST !== '' };
}
