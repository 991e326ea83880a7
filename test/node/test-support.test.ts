/**
 * The shared test helpers cannot pass what they are meant to catch: problemOf fails the test on success and on
 * an error that is not a problem, and runCommand reports a failing command's exit code instead of throwing.
 */
import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../shared/problems';
import { runCommand } from '../support/cli';
import { problemOf, problemOfSync } from '../support/problem-of';

const problem = new ProblemError('image-invalid', 'truncated');

describe('problemOf', () => {
  it('returns the problem a promise rejects with, or a function (sync or async) throws', async () => {
    expect(await problemOf(Promise.reject(problem))).toBe(problem);
    expect(await problemOf(() => { throw problem; })).toBe(problem);
    expect(await problemOf(async () => { throw problem; })).toBe(problem);
    expect(problemOfSync(() => { throw problem; })).toBe(problem);
  });

  it('fails when the call succeeds or throws something else', async () => {
    await expect(problemOf(Promise.resolve(1))).rejects.toThrow(/ProblemError/);
    await expect(problemOf(Promise.reject(new Error('plain')))).rejects.toThrow(/ProblemError/);
    await expect(problemOf(Promise.resolve(1), 'wanted a refusal')).rejects.toThrow(/wanted a refusal/);
    expect(() => problemOfSync(() => 1)).toThrow(/ProblemError/);
    expect(() => problemOfSync(() => { throw new TypeError('x'); })).toThrow(/ProblemError/);
  });
});

describe('runCommand', () => {
  it('answers the exit code and both streams, without throwing on failure', async () => {
    const ok = await runCommand(process.execPath, ['-e', 'console.log("out"); console.error("err")']);
    expect(ok).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    const failed = await runCommand(process.execPath, ['-e', 'process.stdout.write("partial"); process.exit(3)']);
    expect(failed).toMatchObject({ code: 3, stdout: 'partial' });
    expect((await runCommand('/nonexistent/command', [])).code).toBe(1);
  });
});
