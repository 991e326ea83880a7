/// <reference types="node" />
/**
 * `npm start` (scripts/start.mjs) stops what it started: after a SIGTERM or SIGINT, none of the processes under it
 * (npx, wrangler, workerd, esbuild) is left running. Fixture set, single Worker: the smallest `wrangler dev`.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../setup/free-ports';

/** Every process below `pid`, with its command name. */
function descendants(pid: number): Map<number, string> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/));
  const out = new Map<number, string>();
  let frontier = [pid];
  while (frontier.length) {
    const next: number[] = [];
    for (const [p, pp, comm] of rows) {
      if (frontier.includes(Number(pp)) && !out.has(Number(p))) {
        out.set(Number(p), comm);
        next.push(Number(p));
      }
    }
    frontier = next;
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start stops its children', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: wrangler and workerd are gone after npm start exits`, async () => {
      const port = await freePort();
      const env = { ...process.env, MODEL_SET: 'fixtures', PLACEMENT: 'single', PORT: String(port), INSPECTOR_PORT: String(await freePort()) };
      const start = spawn(process.execPath, ['scripts/start.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      start.stdout.on('data', (d) => (output += d));
      start.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((r) => start.on('exit', (code) => r(code)));
      let seen = new Map<number, string>();
      try {
        await until(async () => {
          seen = new Map([...seen, ...descendants(start.pid!)]);
          if (![...seen.values()].includes('workerd')) return false;
          return fetch(`http://127.0.0.1:${port}/openapi.json`).then((r) => r.ok, () => false);
        }, 150_000, `wrangler dev on :${port}\n${output}`);
        seen = new Map([...seen, ...descendants(start.pid!)]);
        start.kill(signal);
        await exited;
        await until(() => [...seen.keys()].every((p) => !alive(p)), 10_000, `the children to stop: ${[...seen].filter(([p]) => alive(p)).map(([p, c]) => `${p} ${c}`).join(', ')}`);
      } finally {
        for (const p of seen.keys()) if (alive(p)) process.kill(p, 'SIGKILL');
        if (alive(start.pid!)) start.kill('SIGKILL');
      }
      expect([...seen.values()]).toContain('workerd');
      expect([...seen.keys()].filter(alive)).toEqual([]);
    }, 200_000);
  }
});
