/**
 * Turns a provider failure that retrying did not fix into the product's problem: 503 when the
 * provider is unavailable or rate-limiting (with its Retry-After passed on), 504 when it did not
 * answer in time, 502 when it failed or refused. The extensions name the dependency, so a client
 * can tell an LLM outage from a failure of this service. The provider's own words (error bodies, socket
 * errors) stay on the problem's `cause` for the logs; the detail says what kind of failure it was.
 */
import { ProblemError } from '../problems';
import { LlmCallError } from './types';

export interface FailureContext {
  provider: string;
  model: string;
  attempts: number;
}

/** `Retry-After` (seconds or HTTP date) or OpenAI's `retry-after-ms`, in ms; undefined when absent. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined | null, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function problemFromFailure(err: LlmCallError, ctx: FailureContext): ProblemError {
  const extensions: Record<string, unknown> = {
    dependency: 'llm',
    provider: ctx.provider,
    model: ctx.model,
    attempts: ctx.attempts,
    ...(err.status !== undefined ? { upstream_status: err.status } : {}),
  };
  const who = `the LLM provider (${ctx.provider}, model ${ctx.model})`;
  const tries = ctx.attempts === 1 ? '1 attempt' : `${ctx.attempts} attempts`;
  const retryAfter = err.retryAfterMs !== undefined ? Math.max(1, Math.ceil(err.retryAfterMs / 1000)) : undefined;
  switch (err.kind) {
    case 'timeout':
      return new ProblemError('llm-timeout', `${who} did not answer in time (${tries}).`, { extensions, cause: err });
    case 'rate-limited':
      return new ProblemError('llm-unavailable', `${who} is rate-limiting requests (429 after ${tries}).`, { extensions, retryAfter: retryAfter ?? 10, cause: err });
    case 'overloaded':
      return new ProblemError('llm-unavailable', `${who} is unavailable (${err.status ?? 503} after ${tries}).`, { extensions, retryAfter: retryAfter ?? 10, cause: err });
    case 'connection':
      return new ProblemError('llm-unavailable', `${who} could not be reached (${tries}).`, { extensions, retryAfter: 10, cause: err });
    case 'server':
      return new ProblemError('llm-failed', `${who} failed with ${err.status ?? 'a server error'} (${tries}).`, { extensions, cause: err });
    case 'rejected': {
      const hint = err.status === 401 || err.status === 403 ? ' Check LLM_API_KEY.' : err.status === 404 ? ' Check LLM_BASE_URL and LLM_MODEL.' : '';
      return new ProblemError('llm-failed', `${who} rejected the request (${err.status ?? 'no status'}${rejectionKind(err.message)}).${hint}`, { extensions, cause: err });
    }
    case 'bad-response':
      return new ProblemError('llm-failed', `${who} sent a response without a completion: ${err.message.slice(0, 300)}`, { extensions, cause: err });
  }
}

/** The few rejections a client can act on, recognised in the provider's message without repeating it. */
function rejectionKind(message: string): string {
  if (/context.{0,20}length|maximum context|too many tokens|prompt is too long/i.test(message)) return ": the prompt is longer than the model's context";
  if (/content.{0,10}(policy|filter|management)|safety/i.test(message)) return ": the provider's content filter refused the post";
  if (/model.{0,40}(not found|does not exist|not exist|unknown|invalid)/i.test(message)) return ': the model is unknown to the provider';
  return '';
}

/** Whether another attempt can help. */
export function isRetryable(err: LlmCallError): boolean {
  return err.kind === 'rate-limited' || err.kind === 'overloaded' || err.kind === 'server' || err.kind === 'connection';
}

/** Classifies an HTTP status from any provider. */
export function kindForStatus(status: number): LlmCallError['kind'] {
  if (status === 429) return 'rate-limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 504 || status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'rejected';
}
