/**
 * Time limits, cancellation and retries around one provider attempt, the same for every provider.
 * Retries are done here rather than by the SDK so that Retry-After is honoured exactly (the SDK
 * ignores values above 60 s and retries timeouts, which only doubles a slow request's latency):
 * 429, 503/529, other 5xx and connection failures are retried with exponential backoff and jitter,
 * or after exactly the provider's Retry-After; a Retry-After longer than `maxRetryAfterMs` ends the
 * call at once with that wait passed on to the client. Timeouts and 4xx are not retried.
 */
import { isRetryable, problemFromFailure } from './failure';
import { LlmCallError, type ChatClient, type ChatProvider, type ChatRequest, type ChatResult } from './types';

export interface RetryPolicy {
  maxRetries: number;
  /** Per attempt. */
  timeoutMs: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest provider-requested wait that is still worth sitting out inside one API request. */
  maxRetryAfterMs?: number;
  random?: () => number;
}

/** Rejects with the signal's reason as soon as it aborts; the underlying work is told via the signal. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wait before retry number `retry` (1-based); null when the provider asks for longer than we wait. */
export function retryDelay(retry: number, err: LlmCallError, p: RetryPolicy): number | null {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs <= (p.maxRetryAfterMs ?? 30_000) ? err.retryAfterMs : null;
  const base = Math.min((p.baseDelayMs ?? 500) * 2 ** (retry - 1), p.maxDelayMs ?? 8_000);
  return base * (1 - (p.random ?? Math.random)() * 0.25);
}

export function retryingClient(provider: ChatProvider, policy: RetryPolicy): ChatClient {
  return {
    provider: provider.name,
    model: provider.model,
    async complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw signal.reason;
        const ctrl = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          ctrl.abort(new DOMException('The LLM attempt timed out.', 'TimeoutError'));
        }, policy.timeoutMs);
        const onOuterAbort = () => ctrl.abort(signal!.reason);
        signal?.addEventListener('abort', onOuterAbort, { once: true });
        let failure: LlmCallError;
        try {
          return await raceAbort(provider.attempt(req, ctrl.signal), ctrl.signal);
        } catch (e) {
          // The caller gave up (client gone, a sibling stage failed): theirs is the error to report.
          if (signal?.aborted) throw signal.reason;
          failure = timedOut
            ? new LlmCallError('timeout', `no answer within ${policy.timeoutMs} ms`)
            : e instanceof LlmCallError
              ? e
              : new LlmCallError('connection', e instanceof Error ? e.message : String(e), { cause: e });
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onOuterAbort);
        }
        const ctx = { provider: provider.name, model: provider.model, attempts: attempt };
        if (!isRetryable(failure) || attempt > policy.maxRetries) throw problemFromFailure(failure, ctx);
        const wait = retryDelay(attempt, failure, policy);
        if (wait === null) throw problemFromFailure(failure, ctx);
        await sleep(wait, signal);
      }
    },
  };
}
