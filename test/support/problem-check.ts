/**
 * Is an answer a precise RFC 9457 problem of the project's catalogue? Used by the load suite
 * (scripts/bench/load.ts) on every non-2xx answer and by the fault tests. No Node or Worker APIs.
 */
import { PROBLEMS, PROBLEM_BASE, type ProblemKind } from '../../shared/problems';

export interface CheckedProblem {
  kind: ProblemKind;
  body: Record<string, unknown>;
}

/** The problem's kind, or a sentence saying why the answer is not a precise problem. */
export function checkProblem(status: number, contentType: string | null, text: string): CheckedProblem | string {
  if (!contentType?.toLowerCase().startsWith('application/problem+json')) return `${status} with content-type ${contentType ?? 'none'}: ${text.slice(0, 200)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${status} problem+json that is not JSON: ${text.slice(0, 200)}`;
  }
  return checkProblemBody(status, body);
}

/** The same for a parsed body (an SSE `event: error`, a job's `error`): `status` null takes the body's own. */
export function checkProblemBody(status: number | null, body: Record<string, unknown>): CheckedProblem | string {
  const type = typeof body?.type === 'string' ? body.type : '';
  const kind = type.startsWith(PROBLEM_BASE) ? (type.slice(PROBLEM_BASE.length) as ProblemKind) : null;
  const entry = kind && Object.hasOwn(PROBLEMS, kind) ? PROBLEMS[kind] : null;
  const where = `${status ?? body?.status} ${type || '(no type)'}`;
  if (!kind || !entry) return `${where}: type not in the catalogue (shared/problems.ts)`;
  if (body.status !== entry[0] || (status !== null && status !== entry[0])) return `${where}: status ${status}/${String(body.status)} but the catalogue says ${entry[0]}`;
  if (body.title !== entry[1]) return `${where}: title ${JSON.stringify(body.title)} is not the catalogue's`;
  if (typeof body.detail !== 'string' || !body.detail) return `${where}: no detail`;
  if (typeof body.request_id !== 'string' || !body.request_id) return `${where}: no request_id`;
  return { kind, body };
}
