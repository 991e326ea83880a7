/**
 * A deadline on a call to another host (a stage or model-part Worker over RPC, a stage host over HTTP). Past it the
 * caller gets a 504 `stage-timeout` and moves on; `signal` is aborted so a fetch is cancelled on the wire. An RPC
 * call has no cancellation of its own: its late answer is dropped, and the callee's isolate finishes the work it
 * started (Workers RPC offers no abort across a binding).
 */
import { ProblemError } from './problems';

export async function withDeadline<T>(ms: number, what: string, dependency: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ProblemError('stage-timeout', `${what} did not answer within ${ms} ms`, { extensions: { dependency, timeout_ms: ms } });
      abort.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([work(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
