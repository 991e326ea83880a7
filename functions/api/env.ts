import type { RequestIdVariables } from 'hono/request-id';
import type { ApiKey } from './accounts/keys';
import type { ApiKeyMeter } from './accounts/meter';
import type { ConfigEnv } from '../../shared/config';

/**
 * Bindings and vars of the api Worker (wrangler.toml). Every var is optional and declared once, with its default,
 * in shared/config-variables.ts; read them through shared/config.ts.
 */
export interface ApiBindings extends ConfigEnv {
  IMAGES?: ImagesBinding;
  MODELS?: R2Bucket;
  AI?: Ai;
  /** Accounts: API keys (hashed) and the usage ledger (infra/migrations). */
  DB?: D1Database;
  /** Accounts: one ApiKeyMeter per key (rate limit, monthly quota, Idempotency-Key state). */
  METER?: DurableObjectNamespace<ApiKeyMeter>;
  /** Jobs: the gmner-jobs queue (functions/api/jobs); messages are `{ v: 1, job_id }`. */
  JOBS?: Queue;
  /** Jobs: results too large for a D1 row (functions/api/jobs/results.ts). */
  RESULTS?: R2Bucket;
}

export type AppEnv = {
  Bindings: ApiBindings;
  Variables: RequestIdVariables & {
    /** Stage timings the request log line reports. */
    timings?: Record<string, number>;
    /** The authenticated key; set on every /v1 request by the accounting middleware. */
    apiKey: ApiKey;
    /**
     * What a POST answer costs, set by routes the accounting middleware does not bill by default
     * (POST /v1/recognize is billed 1 unit without it). `null`: billed elsewhere (a job, through
     * recordUsage() when it runs). Answers >= 500 are never billed.
     */
    metering?: Metering | null;
    /**
     * Raises this request's quota reservation to `units` in all (POST /v1/batch: its item count), or
     * throws 429 quota-exceeded. Set by the accounting middleware on POST.
     */
    reserveUnits?: (units: number) => Promise<void>;
    /** Turns this request's reservation into one held unit per job it queues (see JobHolds). */
    jobHolds?: JobHolds;
    /** A POST body's media type (lower case, no parameters), one of those the app accepts; set by its body middleware. */
    mediaType?: string;
    /** The client's X-Request-Id, kept apart from ours (`requestId`), for logs and usage records. */
    clientRequestId?: string;
  };
};

/**
 * Units held for queued jobs (`job:<id>` in the key's meter): taken before the job's message is sent,
 * committed when the job is billed, released when it fails through our fault or is never created.
 */
export interface JobHolds {
  take(jobIds: string[]): Promise<void>;
  release(jobIds: string[]): Promise<void>;
}

/** The billable cost of one answer (see README, Accounts). */
export interface Metering {
  units: number;
  llm_tokens?: number;
  model_ms?: number;
}
