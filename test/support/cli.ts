/**
 * Node only: the project's command-line scripts run as a user runs them, in a child process, for tests that
 * check their exit code and output. Never throws on a failing command: the code says how it ended.
 */
import { execFile } from 'node:child_process';
import { REPO_ROOT } from '../../shared/data/node-load';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to its end (in the repository root unless `cwd` is given); code 1 where none was given. */
export function runCommand(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      res({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
    });
  });
}

/** A TypeScript script of scripts/ under tsx, as `npm run` starts it. */
export const runScript = (script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCommand(process.execPath, ['--import', 'tsx', script, ...args], opts);

/** `npm run eval -- args` (scripts/eval.ts); `env` is added to this process's environment. */
export const evalCli = (args: string[], env: Record<string, string> = {}) => runScript('scripts/eval.ts', args, { env: { ...process.env, ...env } });
