/**
 * The Cron Trigger's work (wrangler.toml [triggers]): jobs are neither lost nor kept forever.
 *
 * - sweep: a `queued` job more than JOB_STUCK_AFTER_S past due (its message never sent: a crash between
 *   the D1 write and queue.send, or lost) and a `running` job whose lease ran out (its run crashed and no
 *   redelivery took it over) are put back on the queue; a running job that already used MAX_ATTEMPTS runs
 *   is failed instead, and its held unit released. The claim lease makes an extra message harmless.
 * - purge: finished jobs (succeeded/failed) older than JOB_RETENTION_DAYS are deleted with their R2
 *   results, and inbound-hook ids past the replay window.
 */
import { problemBody } from '../../../shared/problems';
import { releaseJobUnit } from '../accounts';
import type { ApiBindings } from '../env';
import { MAX_ATTEMPTS, jobsConfig, type JobsConfig } from './config';
import { deleteResults } from './results';
import { finishJob, jobsDb } from './store';
import type { JobMessage } from './submit';

/** Rows handled per query: a sweep or purge that finds more continues on the next trigger. */
const PAGE = 500;
/** hook_deliveries rows older than this cannot be replayed anyway (their timestamp is refused). */
const HOOK_ID_MEMORY_MS = 3_600_000;

export interface SweepReport {
  requeued: string[];
  failed: string[];
}

export async function sweepJobs(env: ApiBindings, cfg: JobsConfig, now = Date.now()): Promise<SweepReport> {
  const db = jobsDb(env);
  const t = new Date(now).toISOString();
  const stuckBefore = new Date(now - cfg.stuckAfterSeconds * 1000).toISOString();
  const { results } = await db
    .prepare(`SELECT id, key_id, status, attempts, billed FROM jobs
              WHERE (status = 'queued' AND due_at <= ?)
                 OR (status = 'running' AND ((lease_until <= ? AND due_at <= lease_until) OR ((lease_until IS NULL OR lease_until <= ?) AND due_at <= ?)))
              ORDER BY due_at LIMIT ?`)
    .bind(stuckBefore, t, t, stuckBefore, PAGE).all<{ id: string; key_id: string; status: string; attempts: number; billed: number }>();
  const report: SweepReport = { requeued: [], failed: [] };
  for (const j of results) {
    if (j.status === 'running' && j.attempts >= MAX_ATTEMPTS) {
      if (await finishJob(db, j.id, 'failed', problemBody('internal', `The job's run stopped without an outcome ${j.attempts} times; it was given up.`, j.id))) {
        if (!j.billed) await releaseJobUnit(env, j.key_id, j.id);
        report.failed.push(j.id);
      }
    } else {
      report.requeued.push(j.id);
    }
  }
  if (report.requeued.length) {
    const queue = env.JOBS as Queue<JobMessage> | undefined;
    if (!queue) throw new Error('sweep: the Worker has no JOBS queue binding');
    await queue.sendBatch(report.requeued.map((id) => ({ body: { v: 1, job_id: id }, contentType: 'json' as const })));
    // Due again only after another full threshold: one extra message per job per JOB_STUCK_AFTER_S at most. A running
    // job whose lease ran out is re-sent once at once (its due_at, set here, is then after the lease), then by threshold.
    for (let i = 0; i < report.requeued.length; i += 90) {
      const ids = report.requeued.slice(i, i + 90);
      await db.prepare(`UPDATE jobs SET due_at = ? WHERE id IN (${ids.map(() => '?').join(', ')})`).bind(t, ...ids).run();
    }
  }
  return report;
}

export interface PurgeReport {
  jobs: number;
  results: number;
}

export async function purgeJobs(env: ApiBindings, cfg: JobsConfig, now = Date.now()): Promise<PurgeReport> {
  const db = jobsDb(env);
  const cutoff = new Date(now - cfg.retentionDays * 86_400_000).toISOString();
  const { results } = await db
    .prepare(`SELECT id, result_key FROM jobs WHERE status IN ('succeeded', 'failed') AND finished_at < ? ORDER BY finished_at LIMIT ?`)
    .bind(cutoff, PAGE).all<{ id: string; result_key: string | null }>();
  const keys = results.map((r) => r.result_key).filter((k): k is string => k !== null);
  // Objects first: a row is never gone while its result object stays behind.
  await deleteResults(env, keys);
  for (let i = 0; i < results.length; i += 90) {
    const ids = results.slice(i, i + 90).map((r) => r.id);
    await db.prepare(`DELETE FROM jobs WHERE id IN (${ids.map(() => '?').join(', ')})`).bind(...ids).run();
  }
  await db.prepare('DELETE FROM hook_deliveries WHERE received_at < ?').bind(new Date(now - HOOK_ID_MEMORY_MS).toISOString()).run();
  return { jobs: results.length, results: keys.length };
}

/** The Worker's `scheduled` handler. */
export async function handleScheduled(controller: ScheduledController, env: ApiBindings): Promise<void> {
  const cfg = jobsConfig(env);
  const now = controller.scheduledTime || Date.now();
  const swept = await sweepJobs(env, cfg, now);
  const purged = await purgeJobs(env, cfg, now);
  console.log(JSON.stringify({ level: 'info', component: 'jobs', event: 'maintenance', cron: controller.cron, requeued: swept.requeued.length, failed: swept.failed.length, purged_jobs: purged.jobs, purged_results: purged.results }));
}
