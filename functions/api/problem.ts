/** Hono glue for RFC 9457: every non-2xx answer of the API goes through here. */
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ProblemError, problemBody, type FieldError, type ProblemKind } from '../../shared/problems';
import type { AppEnv } from './env';

export function problemResponse(c: Context<AppEnv>, kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}, retryAfter?: number): Response {
  const body = problemBody(kind, detail, c.get('requestId'), extensions);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.ceil(retryAfter));
  return new Response(JSON.stringify(body), { status: body.status, headers });
}

/**
 * Upstream failures reach clients as a clean detail; what the upstream actually said (an LLM provider's error
 * body, onnxruntime's message with its build paths) is logged here, with the request id that the answer carries.
 */
export function logProblemCause(requestId: string | undefined, err: ProblemError): void {
  if (err.status < 500 || err.cause === undefined) return;
  console.error(JSON.stringify({ level: 'error', request_id: requestId, problem: err.kind, detail: err.message, cause: causeChain(err.cause) }));
}

/** An error and up to three of its causes (Node's fetch keeps the socket error in `cause`), as log text. */
export function causeChain(first: unknown): string[] {
  const causes: string[] = [];
  for (let e: unknown = first; e !== undefined && e !== null && causes.length < 4; e = (e as { cause?: unknown }).cause) {
    causes.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return causes;
}

export function errorResponse(c: Context<AppEnv>, err: unknown): Response {
  if (err instanceof ProblemError) {
    logProblemCause(c.get('requestId'), err);
    return problemResponse(c, err.kind, err.message, err.extensions, err.retryAfter);
  }
  // Hono's own HTTP errors (bodyLimit, malformed JSON) carry a status; keep it, speak problem+json.
  const status = (err as { status?: number })?.status;
  if (status === 413) return problemResponse(c, 'body-too-large', 'The request body is larger than the limit.');
  if (status === 400) return problemResponse(c, 'validation', `Malformed request body: ${(err as Error).message}`, { errors: [{ pointer: '#', detail: (err as Error).message }] });
  console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId'), error: String((err as Error)?.stack ?? err) }));
  return problemResponse(c, 'internal', 'An unexpected error occurred; the request id identifies it in our logs.');
}

/** zod issues as RFC 6901-style pointers into the request, e.g. `#/options/labels`. */
export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((i) => ({
    pointer: '#' + i.path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join(''),
    detail: i.message,
  }));
}

export function validationError(errors: FieldError[]): ProblemError {
  const n = errors.length;
  return new ProblemError('validation', `${n} field${n === 1 ? '' : 's'} failed validation`, { extensions: { errors } });
}

export function validationProblem(c: Context<AppEnv>, errors: FieldError[]): Response {
  const e = validationError(errors);
  return problemResponse(c, e.kind, e.message, e.extensions);
}
