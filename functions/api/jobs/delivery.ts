/**
 * Outbound callbacks: one Standard Webhooks event per job, `job.succeeded` or `job.failed`, POSTed to the
 * job's callback URL and signed with its key's webhook secret. The body is built from the stored outcome
 * only (its `timestamp` is when the outcome was stored), so every attempt sends the same bytes under the
 * same `webhook-id`; only `webhook-timestamp` and the signature change per attempt.
 */
import { describeNetFailure } from '../../../shared/net-failure';
import { problemBody } from '../../../shared/problems';
import { causeChain } from '../problem';
import { checkCallbackUrl } from './callback-url';
import type { JobsConfig } from './config';
import { signWebhook } from './signing';
import { hasResult, type JobRow } from './store';

export const USER_AGENT = 'gmner-webhooks/1';

export type DeliveryResult =
  | { ok: true; status: number }
  /**
   * `gone`: 410 or a URL now refused: do not retry. `retryAfter`: the receiver's Retry-After, seconds.
   * `error` is shown to the client (the job's `callback.last_error`); `cause`, the socket layer's own words, only logged.
   */
  | { ok: false; status: number | null; error: string; retryAfter: number | null; gone: boolean; cause?: string };

/** The callback body of a job whose outcome is stored. */
export function callbackBody(job: JobRow, maxBytes: number): string {
  const succeeded = hasResult(job);
  const data: Record<string, unknown> = {
    id: job.id,
    status: succeeded ? 'succeeded' : 'failed',
    origin: job.origin,
    batch_id: job.batch_id,
    batch_index: job.batch_index,
    status_url: job.status_url,
  };
  if (job.result_key !== null) {
    // Kept in R2 because it is large: never inline, the receiver GETs status_url.
    data.result_omitted = 'too-large';
    return JSON.stringify({ type: 'job.succeeded', timestamp: job.finished_at ?? job.updated_at, data });
  }
  if (succeeded) data.result = JSON.parse(job.result!);
  else data.error = job.error ? JSON.parse(job.error) : problemBody('internal', 'The job failed without a recorded reason.');
  const event = { type: succeeded ? 'job.succeeded' : 'job.failed', timestamp: job.finished_at ?? job.updated_at, data };
  const body = JSON.stringify(event);
  if (new TextEncoder().encode(body).byteLength <= maxBytes) return body;
  // Too large for one callback: a thin event; the receiver GETs status_url for the result.
  delete data.result;
  delete data.error;
  data.result_omitted = 'too-large';
  return JSON.stringify(event);
}

/** One attempt. Never throws: every way it can go wrong is a failed attempt. */
export async function deliverCallback(job: JobRow, secret: string, cfg: JobsConfig, body = callbackBody(job, cfg.callbackMaxBytes)): Promise<DeliveryResult> {
  let url: URL;
  try {
    url = checkCallbackUrl(job.callback_url!, cfg.allowInsecureCallbackUrls);
  } catch (e) {
    return { ok: false, status: null, error: `callback URL refused: ${(e as Error).message}`, retryAfter: null, gone: true };
  }
  const headers = await signWebhook(secret, job.webhook_id, body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(cfg.callbackTimeoutMs),
    });
  } catch (e) {
    const err = e as Error;
    const timeout = err?.name === 'TimeoutError' || err?.name === 'AbortError';
    return { ok: false, status: null, error: timeout ? `no answer within ${cfg.callbackTimeoutMs} ms` : `request failed: ${describeNetFailure(e)}`, retryAfter: null, gone: false, cause: causeChain(e).join(' <- ') };
  }
  // The receiver's answer body is not used; do not keep the connection busy reading it.
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  const why = res.status >= 300 && res.status < 400 ? 'redirects are not followed' : res.status === 410 ? 'the receiver is gone (410): no more attempts' : 'not 2xx';
  return { ok: false, status: res.status, error: `HTTP ${res.status}: ${why}`, retryAfter: retryAfterSeconds(res.headers.get('retry-after')), gone: res.status === 410 };
}

/** Retry-After as seconds (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(v: string | null, now = Date.now()): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, Math.ceil((t - now) / 1000));
}
