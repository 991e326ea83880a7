/**
 * How much work one post may buy. Span alignment places every occurrence of a name, so without a cap a post
 * that repeats one name 700 times gets 700 entities, each entailed, grounded and segmented; and a stage given
 * every entity of a post in one call grows the runtime's heap with the batch. Both are bounded here, from the
 * Worker's environment, with defaults.
 */
import { envInt, type ConfigEnv } from '../config';

export interface WorkLimits {
  /** Entities kept per post (in text order); the rest are listed in `dropped` and named in `warnings`. */
  maxEntities: number;
  /** Most expressions or boxes in one stage call; larger sets run as several calls. */
  stageBatch: number;
}

export const DEFAULT_WORK_LIMITS: Readonly<WorkLimits> = workLimitsFromEnv({});

export function workLimitsFromEnv(env: ConfigEnv): WorkLimits {
  return {
    maxEntities: envInt(env, 'MAX_ENTITIES_PER_POST'),
    stageBatch: envInt(env, 'STAGE_BATCH_SIZE'),
  };
}

/**
 * Completion tokens a recognition answer needs for `maxEntities` entities with type and expansion (about 30-40
 * tokens each in the batched JSON shape), with room for the envelope; the default of LLM_MAX_TOKENS.
 */
export const maxTokensFor = (maxEntities: number) => 256 + 48 * maxEntities;
