/**
 * The ProblemError a call ends in, for tests that then check its kind, status and detail. Fails the test
 * (through `expect`) when the call succeeds or throws anything that is not a ProblemError.
 */
import { expect } from 'vitest';
import { ProblemError } from '../../shared/problems';

/** Awaits the promise (or runs the function, sync or async) and returns the problem it rejects with. */
export async function problemOf(p: Promise<unknown> | (() => unknown), message?: string): Promise<ProblemError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => undefined, (err: unknown) => err);
  expect(e, message).toBeInstanceOf(ProblemError);
  return e as ProblemError;
}

/** The problem a synchronous call throws. */
export function problemOfSync(f: () => unknown, message?: string): ProblemError {
  let e: unknown;
  try {
    f();
  } catch (err) {
    e = err;
  }
  expect(e, message).toBeInstanceOf(ProblemError);
  return e as ProblemError;
}
