/**
 * Problems across a service binding. Workers RPC rethrows a callee's error in the caller with its message but not
 * its class or fields, so a ProblemError's kind (model-over-budget, stage-timeout, ...) would arrive as a bare
 * Error. The callee tags the message with the kind; the caller turns it back into the same problem.
 */
import { PROBLEMS, ProblemError, isProblem, type ProblemKind } from './problems';

const TAG = /^\[problem:([a-z0-9-]+)\] ([\s\S]*)$/;

/** Callee side: runs `work` and rethrows any failure as an Error whose message carries the problem kind. */
export async function rpcCallee<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const kind = isProblem(e) ? e.kind : 'stage-failed';
    throw new Error(`[problem:${kind}] ${(e as Error)?.message ?? String(e)}`);
  }
}

/** Caller side: the failure of an RPC call as a problem; an untagged error (the callee crashed, the binding broke) is stage-failed. */
export function problemFromRpc(e: unknown, who: string, dependency: string): ProblemError {
  if (isProblem(e)) return e;
  const message = (e as Error)?.message ?? String(e);
  const m = TAG.exec(message);
  const kind = m && m[1] in PROBLEMS ? (m[1] as ProblemKind) : 'stage-failed';
  return new ProblemError(kind, `${who}: ${m ? m[2] : message}`, { extensions: { dependency }, cause: e });
}
