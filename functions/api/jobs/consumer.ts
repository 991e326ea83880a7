/**
 * The queue consumers. gmner-jobs: each message names one job; its delivery moves the job on from
 * wherever it is (delivery is at least once, so every step is idempotent):
 *
 *   queued/running --pipeline--> delivering --callback 2xx (or no callback)--> succeeded
 *        |  transient failure (5xx problem): back to queued, message retried with the next delay
 *        |  permanent failure (4xx problem): the problem is the outcome, delivered as job.failed
 *   delivering --callback not 2xx / timeout--> message retried with the next delay (410: failed at once)
 *
 * A run first holds its unit of the key's quota (held since admission; taken anew if that hold ran out,
 * or the job fails 429 quota-exceeded unrun), and claims the job with a lease (JOB_LEASE_S) so that a
 * duplicate delivery never runs the pipeline twice. The outcome is billed once (recordUsage, de-duplicated
 * on `job:<id>`, which commits the hold) before the callback is tried; an outcome that is not billable
 * (5xx, 429) releases the hold. A result too large for a D1 row is kept in R2 (results.ts).
 * After the queue's max_retries the message moves to gmner-jobs-dlq, whose consumer marks the job failed
 * (and, if the pipeline never produced an outcome, tries one job.failed callback).
 */
import { declaredDefault, envString } from '../../../shared/config';
import { ProblemError, isProblem, problemBody, type ProblemBody } from '../../../shared/problems';
import { holdJobUnit, jobHoldId, recordUsage, releaseJobUnit } from '../accounts';
import { isBillableStatus } from '../accounts/usage';
import { modelTime } from '../accounts/metering';
import type { ApiBindings } from '../env';
import { logProblemCause } from '../problem';
import { runRecognition } from '../recognize';
import { jobsConfig, retryDelay, type JobsConfig } from './config';
import { callbackBody, deliverCallback } from './delivery';
import {
  claimJob, finishJob, getJob, hasResult, jobsDb, keySecret, markBilled, noteCallbackAttempt, noteTransientFailure, storeOutcome, type JobRow,
} from './store';
import { loadResult, placeResult } from './results';
import { callOf, type JobMessage } from './submit';

export const JOBS_QUEUE = 'gmner-jobs';
export const JOBS_DEAD_LETTER_QUEUE = declaredDefault<string>('JOBS_DLQ_NAME');

type Step = { done: true } | { done: false; delaySeconds: number };

/** The Worker's `queue` handler: dead letters by queue name (JOBS_DLQ_NAME overrides it), jobs otherwise. */
export async function handleQueue(batch: MessageBatch<unknown>, env: ApiBindings, _ctx?: ExecutionContext): Promise<void> {
  const dlq = envString(env, 'JOBS_DLQ_NAME') ?? JOBS_DEAD_LETTER_QUEUE;
  if (batch.queue === dlq) return handleDeadLetters(batch, env);
  return handleJobs(batch, env);
}

/** Messages are independent: each is acked or retried by itself, so one slow or failing job holds back no other. */
export async function handleJobs(batch: MessageBatch<unknown>, env: ApiBindings): Promise<void> {
  const cfg = jobsConfig(env);
  await Promise.all(batch.messages.map(async (msg) => {
    const id = jobIdOf(msg.body);
    if (!id) {
      log('warn', { message_id: msg.id, event: 'job message without a job id: dropped' });
      return msg.ack();
    }
    try {
      const step = await runJob(env, cfg, id, msg.attempts);
      if (step.done) msg.ack();
      else msg.retry({ delaySeconds: step.delaySeconds });
    } catch (e) {
      // Our own failure (D1, the meter): try again later like any transient failure.
      log('error', { job_id: id, attempt: msg.attempts, event: 'job step failed', error: String((e as Error)?.stack ?? e) });
      msg.retry({ delaySeconds: retryDelay(cfg, msg.attempts) });
    }
  }));
}

/** One delivery of a job's message: the next steps of the job, until it is done or must wait. */
export async function runJob(env: ApiBindings, cfg: JobsConfig, id: string, attempt: number): Promise<Step> {
  const db = jobsDb(env);
  let job = await getJob(db, id);
  if (!job) {
    log('warn', { job_id: id, event: 'job not found: dropped' });
    return { done: true };
  }
  if (job.status === 'succeeded' || job.status === 'failed') return { done: true };

  const key = await keySecret(db, job.key_id);
  if (!key || key.revoked_at) {
    // Not billed and not called back: the key's owner withdrew it (or it no longer exists).
    await finishJob(db, id, 'failed', problemBody('key-revoked', `The job's API key ${key ? `was revoked at ${key.revoked_at}` : 'no longer exists'}; the job was not run.`, id));
    if (!job.billed) await releaseJobUnit(env, job.key_id, id);
    return { done: true };
  }

  if (job.status === 'queued' || job.status === 'running') {
    // No run without its unit: held since admission, or taken now if the quota still has room.
    const held = await holdJobUnit(env, job.key_id, id, key.quota);
    if (held === 'quota-exceeded') {
      await storeOutcome(db, id, { error: problemBody('quota-exceeded', `The job's API key has no quota left this month (UTC) to run it; the job was not run and is not billed.`, id) });
      log('info', { job_id: id, attempt, event: 'quota exceeded: not run' });
      job = await getJob(db, id);
    } else if (!(await claimJob(db, id, cfg.leaseMs))) {
      job = await getJob(db, id);
    } else {
      const started = performance.now();
      try {
        const answer = await runRecognition(env, callOf(JSON.parse(job.input!)), job.id);
        await storeOutcome(db, id, await placeResult(env, id, JSON.stringify(answer), cfg.resultInlineMaxBytes));
        log('info', { job_id: id, attempt, event: 'pipeline done', duration_ms: Math.round(performance.now() - started), entities: answer.entities.length });
      } catch (e) {
        // The detail is clean; what the upstream said (LLM error body, socket text) goes to the log under the job id.
        if (isProblem(e)) logProblemCause(id, e);
        else log('error', { job_id: id, attempt, event: 'pipeline crashed', error: String((e as Error)?.stack ?? e) });
        const problem = asProblem(e, id);
        if (problem.status >= 500) {
          const delaySeconds = retryDelay(cfg, attempt, (e as ProblemError)?.retryAfter ?? null);
          await noteTransientFailure(db, id, problem, delaySeconds);
          log('warn', { job_id: id, attempt, event: 'pipeline failed, will retry', problem: problem.type, detail: problem.detail });
          return { done: false, delaySeconds };
        }
        await storeOutcome(db, id, { error: problem });
        log('info', { job_id: id, attempt, event: 'pipeline refused the input', problem: problem.type });
      }
      job = await getJob(db, id);
    }
    if (!job || job.status === 'succeeded' || job.status === 'failed') return { done: true };
    if (job.status !== 'delivering') return { done: false, delaySeconds: retryDelay(cfg, attempt) }; // another delivery is running it
  }

  if (!job.billed) await bill(env, job);

  if (!job.callback_url) {
    await finishJob(db, id, hasResult(job) ? 'succeeded' : 'failed');
    return { done: true };
  }
  const body = callbackBody(job, cfg.callbackMaxBytes);
  const r = await deliverCallback(job, key.webhook_secret, cfg, body);
  const at = new Date().toISOString();
  await noteCallbackAttempt(db, id, { status: r.status, error: r.ok ? null : r.error, at, delivered: r.ok });
  log(r.ok ? 'info' : 'warn', { job_id: id, attempt, event: r.ok ? 'callback delivered' : 'callback failed', status: r.status, ...(r.ok ? {} : { error: r.error, cause: r.cause }) });
  if (r.ok) {
    await finishJob(db, id, hasResult(job) ? 'succeeded' : 'failed');
    return { done: true };
  }
  if (r.gone) {
    // A pipeline failure stays the job's error; the callback's fate is in `callback`.
    await finishJob(db, id, 'failed', job.error ? undefined : callbackProblem(job, job.callback_attempts + 1, r.status, r.error, id));
    return { done: true };
  }
  return { done: false, delaySeconds: retryDelay(cfg, attempt, r.retryAfter) };
}

/** The dead-letter consumer: the job used up its attempts. */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: ApiBindings): Promise<void> {
  const cfg = jobsConfig(env);
  const db = jobsDb(env);
  for (const msg of batch.messages) {
    const id = jobIdOf(msg.body);
    if (!id) {
      msg.ack();
      continue;
    }
    const job = await getJob(db, id);
    if (!job || job.status === 'succeeded' || job.status === 'failed') {
      msg.ack();
      continue;
    }
    const hasOutcome = job.status === 'delivering';
    const error = hasOutcome
      ? (job.error ? JSON.parse(job.error) as ProblemBody : callbackProblem(job, job.callback_attempts, job.callback_last_status, job.callback_last_error ?? 'none made', id))
      : (job.last_error ? JSON.parse(job.last_error) as ProblemBody : problemBody('internal', 'The job did not complete within its attempts.', id));
    await finishJob(db, id, 'failed', error);
    if (!job.billed) await releaseJobUnit(env, job.key_id, id);
    log('warn', { job_id: id, event: 'job dead-lettered: failed', problem: error.type, callback_attempts: job.callback_attempts });
    // The pipeline never produced an outcome, so the receiver never heard of the job: one last try.
    if (!hasOutcome && job.callback_url) {
      const key = await keySecret(db, job.key_id);
      const failed = await getJob(db, id);
      if (key && !key.revoked_at && failed) {
        const r = await deliverCallback(failed, key.webhook_secret, cfg);
        await noteCallbackAttempt(db, id, { status: r.status, error: r.ok ? null : r.error, at: new Date().toISOString(), delivered: r.ok });
      }
    }
    msg.ack();
  }
}

/** Bills the stored outcome once (its held unit becomes used), or gives the unit back when it is not billable. */
async function bill(env: ApiBindings, job: JobRow): Promise<void> {
  const db = jobsDb(env);
  const stored = await loadResult(env, job);
  const answer = stored ? JSON.parse(stored) as { usage?: { total_tokens?: number }; timings_ms?: Record<string, number> } : null;
  const error = job.error ? JSON.parse(job.error) as ProblemBody : null;
  const status = answer ? 200 : error?.status ?? 500;
  // 5xx failed through our fault; 429 was never run.
  if (!isBillableStatus(status) || status === 429) {
    await releaseJobUnit(env, job.key_id, job.id);
    await markBilled(db, job.id);
    return;
  }
  await recordUsage(env, {
    id: jobHoldId(job.id),
    key_id: job.key_id,
    request_id: job.id,
    route: routeOf(job.origin),
    units: 1,
    llm_tokens: answer?.usage?.total_tokens ?? 0,
    model_ms: modelTime(answer?.timings_ms),
    status,
    outcome: answer ? 'ok' : (error?.type.slice(error.type.lastIndexOf('/') + 1) ?? 'internal'),
  });
  await markBilled(db, job.id);
}

export function routeOf(origin: string): string {
  if (origin === 'batch') return 'POST /v1/batch';
  if (origin.startsWith('hook:')) return `POST /v1/hooks/${origin.slice(5)}`;
  return 'POST /v1/jobs';
}

function callbackProblem(job: JobRow, attempts: number, status: number | null, lastError: string, requestId: string): ProblemBody {
  return problemBody('callback-failed', `The callback to ${job.callback_url} was not acknowledged after ${attempts} attempt(s); the last: ${lastError}.${hasResult(job) ? ' The result is stored here.' : ''}`, requestId, {
    callback_status: status,
  });
}

function asProblem(e: unknown, requestId: string): ProblemBody {
  if (isProblem(e)) return e.toBody(requestId);
  // Not a problem: an exception of ours, whose text is for the log (written by the caller), never for the client.
  return problemBody('internal', 'The job failed unexpectedly; the service log has the error under the job id.', requestId);
}

function jobIdOf(body: unknown): string | null {
  const id = (body as Partial<JobMessage> | null)?.job_id;
  return typeof id === 'string' && id.length > 0 && id.length < 100 ? id : null;
}

function log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, component: 'jobs', ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}
