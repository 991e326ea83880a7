/**
 * Where a job's answer is kept: in its D1 row when small, otherwise in the RESULTS bucket (R2) under
 * `job-results/<job id>.json`, because a D1 row holds at most 2 MB and a failed write used to count as a
 * transient failure that re-ran the whole pipeline.
 */
import { problemBody, type ProblemBody } from '../../../shared/problems';
import type { ApiBindings } from '../env';
import type { JobRow } from './store';

export const RESULT_PREFIX = 'job-results/';
export const resultKeyOf = (jobId: string) => `${RESULT_PREFIX}${jobId}.json`;

const bucket = (env: ApiBindings) => env.RESULTS as R2Bucket | undefined;

/** The outcome to store for an answer of `json` (already serialised). */
export async function placeResult(env: ApiBindings, jobId: string, json: string, inlineMaxBytes: number): Promise<{ result: string } | { resultKey: string } | { error: ProblemBody }> {
  const size = new TextEncoder().encode(json).byteLength;
  if (size <= inlineMaxBytes) return { result: json };
  const r2 = bucket(env);
  if (!r2) {
    // Permanent on this deployment: failing now beats re-running the pipeline for the same outcome.
    return { error: problemBody('internal', `The job's result is ${size} bytes, more than JOB_RESULT_INLINE_MAX_BYTES (${inlineMaxBytes}), and the Worker has no RESULTS (R2) binding to keep it; see wrangler.toml.`, jobId) };
  }
  const key = resultKeyOf(jobId);
  await r2.put(key, json, { httpMetadata: { contentType: 'application/json' } });
  return { resultKey: key };
}

/** The stored answer as JSON text, from the row or the bucket; null when there is none. */
export async function loadResult(env: ApiBindings, job: JobRow): Promise<string | null> {
  if (job.result !== null) return job.result;
  if (job.result_key === null) return null;
  const obj = await bucket(env)?.get(job.result_key);
  return obj ? obj.text() : null;
}

export async function deleteResults(env: ApiBindings, keys: string[]): Promise<void> {
  const r2 = bucket(env);
  if (r2 && keys.length) await r2.delete(keys);
}
