/**
 * Job records in D1 (infra/migrations/0100_jobs.sql). Every transition is one conditional UPDATE, so a
 * redelivered queue message (delivery is at least once) or a second consumer finds the job where the
 * first left it and never moves it backwards.
 */
import type { RecognizeRequest } from '../../../shared/api/schemas';
import { ProblemError, type ProblemBody } from '../../../shared/problems';
import type { ApiBindings } from '../env';
import type { Job, JobStatus } from './schemas';

/** The checked request as stored: the /v1/recognize JSON body (an uploaded file as base64). */
export type StoredInput = RecognizeRequest;

export interface JobRow {
  id: string;
  key_id: string;
  origin: string;
  batch_id: string | null;
  batch_index: number | null;
  status: JobStatus;
  input: string | null;
  status_url: string;
  callback_url: string | null;
  webhook_id: string;
  result: string | null;
  error: string | null;
  last_error: string | null;
  attempts: number;
  billed: number;
  callback_attempts: number;
  callback_last_status: number | null;
  callback_last_error: string | null;
  callback_last_at: string | null;
  delivered_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  /** While running: the claim holds until then (ISO 8601). */
  lease_until: string | null;
  /** When the next delivery is expected; the sweeper re-enqueues a queued job long past it. */
  due_at: string | null;
  /** R2 key (RESULTS) of a result too large for its row; `result` is then null. */
  result_key: string | null;
}

export type NewJobRow = Pick<JobRow, 'id' | 'key_id' | 'origin' | 'batch_id' | 'batch_index' | 'input' | 'status_url' | 'callback_url' | 'webhook_id' | 'created_at'>;

const OPEN = "('queued', 'running', 'delivering')";
const hex = () => crypto.randomUUID().replaceAll('-', '');
export const newJobId = () => `job_${hex()}`;
export const newBatchId = () => `bat_${hex()}`;
/** Standard Webhooks ids must not contain '.'. */
export const newWebhookId = () => `msg_${hex()}`;
export const JOB_ID_PATTERN = /^job_[0-9a-f]{32}$/;

export function jobsDb(env: ApiBindings): D1Database {
  const db = env.DB as D1Database | undefined;
  if (!db) throw new ProblemError('jobs-unavailable', 'The Worker has no DB (D1) binding for job records; see wrangler.toml and the README, Jobs.');
  return db;
}

export function insertJobStatement(db: D1Database, j: NewJobRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO jobs (id, key_id, origin, batch_id, batch_index, status, input, status_url, callback_url, webhook_id, created_at, updated_at, due_at)
              VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`)
    .bind(j.id, j.key_id, j.origin, j.batch_id, j.batch_index, j.input, j.status_url, j.callback_url, j.webhook_id, j.created_at, j.created_at, j.created_at);
}

export function deleteJobsStatement(db: D1Database, ids: string[]): D1PreparedStatement {
  return db.prepare(`DELETE FROM jobs WHERE id IN (${ids.map(() => '?').join(', ')}) AND status = 'queued'`).bind(...ids);
}

export async function getJob(db: D1Database, id: string): Promise<JobRow | null> {
  return db.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first<JobRow>();
}

const now = () => new Date().toISOString();
const changed = (r: D1Result) => (r.meta?.changes ?? 0) > 0;

/**
 * Claims a job for one run: queued -> running with a lease until `leaseMs` from now, counting the
 * attempt. A running job is taken over only once its lease has run out (its run crashed), so a
 * duplicate delivery of the message never runs the pipeline twice. False when it cannot be claimed.
 */
export async function claimJob(db: D1Database, id: string, leaseMs: number, at = Date.now()): Promise<boolean> {
  const t = new Date(at).toISOString();
  return changed(await db
    .prepare(`UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, ?), updated_at = ?, lease_until = ?
              WHERE id = ? AND (status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until <= ?)))`)
    .bind(t, t, new Date(at + leaseMs).toISOString(), id, t).run());
}

/** A transient pipeline failure: back to queued with the problem, due again after `delaySeconds`. */
export async function noteTransientFailure(db: D1Database, id: string, problem: ProblemBody, delaySeconds = 0): Promise<void> {
  const t = Date.now();
  await db.prepare(`UPDATE jobs SET status = 'queued', last_error = ?, lease_until = NULL, due_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')`)
    .bind(JSON.stringify(problem), new Date(t + delaySeconds * 1000).toISOString(), new Date(t).toISOString(), id).run();
}

/** The pipeline's outcome (answer or permanent problem): -> delivering. False when another delivery stored one first. */
export async function storeOutcome(db: D1Database, id: string, outcome: { result: string } | { resultKey: string } | { error: ProblemBody }): Promise<boolean> {
  const t = now();
  const result = 'result' in outcome ? outcome.result : null;
  const resultKey = 'resultKey' in outcome ? outcome.resultKey : null;
  const error = 'error' in outcome ? JSON.stringify(outcome.error) : null;
  return changed(await db
    .prepare(`UPDATE jobs SET status = 'delivering', result = ?, result_key = ?, error = ?, input = NULL, last_error = NULL, lease_until = NULL,
              finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')`)
    .bind(result, resultKey, error, t, t, id).run());
}

/** Whether the job's pipeline produced an answer (in its row or in R2). */
export const hasResult = (j: JobRow) => j.result !== null || j.result_key !== null;

export async function markBilled(db: D1Database, id: string): Promise<void> {
  await db.prepare('UPDATE jobs SET billed = 1 WHERE id = ?').bind(id).run();
}

export async function noteCallbackAttempt(db: D1Database, id: string, a: { status: number | null; error: string | null; at: string; delivered: boolean }): Promise<void> {
  await db
    .prepare(`UPDATE jobs SET callback_attempts = callback_attempts + 1, callback_last_status = ?, callback_last_error = ?, callback_last_at = ?,
              delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END, updated_at = ? WHERE id = ?`)
    .bind(a.status, a.error, a.at, a.delivered ? 1 : 0, a.at, now(), id).run();
}

/** The end of a job: succeeded or failed (an `error` given replaces the stored one). False if it had already ended. */
export async function finishJob(db: D1Database, id: string, status: 'succeeded' | 'failed', error?: ProblemBody): Promise<boolean> {
  const t = now();
  return changed(await db
    .prepare(`UPDATE jobs SET status = ?, error = COALESCE(?, error), input = NULL, finished_at = COALESCE(finished_at, ?), updated_at = ? WHERE id = ? AND status IN ${OPEN}`)
    .bind(status, error ? JSON.stringify(error) : null, t, t, id).run());
}

export interface JobKey {
  webhook_secret: string;
  revoked_at: string | null;
  quota: number | null;
  rate_limit: number | null;
}

/** The secret that signs a key's callbacks, whether the key still works, and its limits. */
export async function keySecret(db: D1Database, keyId: string): Promise<JobKey | null> {
  return db.prepare('SELECT webhook_secret, revoked_at, quota, rate_limit FROM api_keys WHERE id = ?').bind(keyId).first();
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** The public view of a job (GET /v1/jobs/{id}); `result`: the answer when it lives in R2 (loadResult). */
export function jobView(j: JobRow, result: string | null = j.result): Job {
  return {
    id: j.id,
    status: j.status,
    status_url: j.status_url,
    origin: j.origin,
    batch_id: j.batch_id,
    batch_index: j.batch_index,
    attempts: j.attempts,
    created_at: j.created_at,
    started_at: j.started_at,
    finished_at: j.finished_at,
    updated_at: j.updated_at,
    callback: j.callback_url
      ? {
          url: j.callback_url,
          webhook_id: j.webhook_id,
          status: j.delivered_at ? 'delivered' : j.status === 'failed' ? 'failed' : 'pending',
          attempts: j.callback_attempts,
          last_status: j.callback_last_status,
          last_error: j.callback_last_error,
          last_attempt_at: j.callback_last_at,
          delivered_at: j.delivered_at,
        }
      : null,
    result: parse(result),
    error: parse(j.error),
    last_error: parse(j.last_error),
  };
}
