/** Settings of jobs, callbacks and inbound webhooks, read from the Worker's vars with defaults. */
import { declaredDefault, envFlag, envInt, envString, type ConfigEnv } from '../../../shared/config';

export interface JobsConfig {
  /**
   * Seconds before redelivery after failed attempt n (1-based: delay n-1; the last one repeats).
   * Covers the queue's max_retries (wrangler.toml): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h.
   */
  retryDelays: number[];
  /** Each callback attempt is abandoned after this long (counts as a failure). */
  callbackTimeoutMs: number;
  /** A callback body above this is sent without `result` (the receiver GETs status_url instead). */
  callbackMaxBytes: number;
  /** The stored input of one job (an inline image counts in base64); D1 rows hold at most 2 MB. */
  maxInputBytes: number;
  /** Development only: admit http:// and loopback callback URLs (localhost, 127.0.0.0/8, ::1). */
  allowInsecureCallbackUrls: boolean;
  /** Inbound webhooks: accepted distance of `webhook-timestamp` from now, seconds. */
  hookToleranceSeconds: number;
  /** Inbound webhooks: the largest body accepted (HOOK_MAX_BODY_BYTES), checked before the signature. */
  hookMaxBodyBytes: number;
  /** A run's claim on its job (JOB_LEASE_S): a second delivery waits; a crashed run is taken over after it. */
  leaseMs: number;
  /** Results above this many bytes (JOB_RESULT_INLINE_MAX_BYTES) go to the RESULTS bucket, not the D1 row. */
  resultInlineMaxBytes: number;
  /** Finished jobs (and their R2 results) are deleted this many days after they finished (JOB_RETENTION_DAYS). */
  retentionDays: number;
  /** The sweeper re-enqueues a queued job this long past due (JOB_STUCK_AFTER_S). */
  stuckAfterSeconds: number;
}

/** The queue's max_retries + 1 (wrangler.toml): a job the sweeper finds with this many runs is failed. */
export const MAX_ATTEMPTS = 9;

/** Queues accept delays up to 12 h (24 h in the newest limits page); keep to the older bound. */
export const MAX_DELAY_SECONDS = 43_200;

export const DEFAULT_RETRY_DELAYS = delays(declaredDefault<string>('JOB_RETRY_DELAYS'))!;

export function jobsConfig(env: ConfigEnv): JobsConfig {
  return {
    retryDelays: delays(envString(env, 'JOB_RETRY_DELAYS')) ?? DEFAULT_RETRY_DELAYS,
    callbackTimeoutMs: envInt(env, 'CALLBACK_TIMEOUT_MS'),
    callbackMaxBytes: envInt(env, 'CALLBACK_MAX_BYTES'),
    maxInputBytes: envInt(env, 'JOB_MAX_INPUT_BYTES'),
    allowInsecureCallbackUrls: envFlag(env, 'ALLOW_INSECURE_CALLBACK_URLS'),
    hookToleranceSeconds: 300,
    hookMaxBodyBytes: envInt(env, 'HOOK_MAX_BODY_BYTES'),
    leaseMs: envInt(env, 'JOB_LEASE_S') * 1000,
    resultInlineMaxBytes: envInt(env, 'JOB_RESULT_INLINE_MAX_BYTES'),
    retentionDays: envInt(env, 'JOB_RETENTION_DAYS'),
    stuckAfterSeconds: envInt(env, 'JOB_STUCK_AFTER_S'),
  };
}

/** "5,30,120": whole seconds >= 0; anything else keeps the default. */
function delays(v: string | null): number[] | null {
  if (v === null) return null;
  const parts = v.split(',').map((s) => Number(s.trim()));
  return parts.every((n) => Number.isInteger(n) && n >= 0 && n <= MAX_DELAY_SECONDS) ? parts : null;
}

/**
 * The delay before the next delivery after failed attempt `attempt` (1-based), with up to 10% jitter so
 * that jobs failing together do not come back together; a receiver's Retry-After raises it.
 */
export function retryDelay(cfg: JobsConfig, attempt: number, retryAfter?: number | null, random = Math.random): number {
  const base = cfg.retryDelays[Math.min(Math.max(attempt, 1), cfg.retryDelays.length) - 1] ?? 0;
  const jittered = Math.round(base * (1 + 0.1 * random()));
  return Math.min(MAX_DELAY_SECONDS, Math.max(jittered, retryAfter ?? 0));
}
