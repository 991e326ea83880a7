/**
 * Problems across a service binding. Workers RPC rethrows a callee's error in the caller with its message but not
 * its class or fields, so a ProblemError's kind (model-over-budget, stage-timeout, ...) would arrive as a bare
 * Error. The callee tags the message with the kind; the caller turns it back into the same problem.
 *
 * Only a problem's detail (written for clients) crosses as a detail. Anything else a callee throws (an ORT message
 * with its build paths, a socket error) is logged where it happened and crosses as a plain "failed"; the caller
 * keeps the raw error as the problem's cause, for its own log.
 */
import { PROBLEMS, ProblemError, isProblem, type ProblemKind } from './problems';

const TAG = /^\[problem:([a-z0-9-]+)\] ([\s\S]*)$/;

/** Callee side: runs `work` and rethrows any failure as an Error whose message carries the problem kind. */
export async function rpcCallee<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isProblem(e)) throw new Error(`[problem:${e.kind}] ${e.message}`);
    console.error(JSON.stringify({ level: 'error', component: 'rpc-callee', error: String((e as Error)?.stack ?? e) }));
    throw new Error('[problem:stage-failed] failed (its own log has the error)');
  }
}

/** Caller side: the failure of an RPC call as a problem; an untagged error (the callee crashed, the binding broke) is stage-failed. */
export function problemFromRpc(e: unknown, who: string, dependency: string): ProblemError {
  if (isProblem(e)) return e;
  const message = (e as Error)?.message ?? String(e);
  const m = TAG.exec(message);
  const kind = m && m[1] in PROBLEMS ? (m[1] as ProblemKind) : 'stage-failed';
  // Untagged: the binding broke or the callee crashed before it could tag; its words are for our log only.
  return new ProblemError(kind, `${who}: ${m ? m[2] : 'failed (the Worker crashed or the binding broke)'}`, { extensions: { dependency }, cause: e });
}
