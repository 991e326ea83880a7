/**
 * The whole service as `npm start` runs it, for the browser tests: `wrangler dev` of the real Worker
 * (which builds web/dist first, wrangler.toml [build]) on a free loopback port, with the recorded LLM
 * and MODEL_SET=fixtures, in a temporary local state with one API key made by `npm run keys`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main as keys } from '../../../scripts/keys';
import { startLlmServer } from '../../llm-server/server';
import { UNIT_RECORDINGS } from '../../llm-server/unit-recordings';
import { freePort } from '../../setup/free-ports';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface Service {
  origin: string;
  key: string;
  close(): Promise<void>;
}

export async function startService(): Promise<Service> {
  const state = mkdtempSync(join(tmpdir(), 'gmner-browser-'));
  const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  let proc: ChildProcess | undefined;
  const close = async () => {
    proc?.kill('SIGTERM');
    await llm.close();
    await new Promise((r) => setTimeout(r, 300));
    rmSync(state, { recursive: true, force: true });
  };
  try {
    const { key } = (await keys(['create', '--name', 'browser', '--persist-to', state])) as { key: string };
    const [port, inspector] = [await freePort(), await freePort()];
    const vars = { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded', MODEL_SET: 'fixtures', RATE_LIMIT_REQUESTS: '1000' };
    const args = ['node_modules/wrangler/bin/wrangler.js', 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
      '--persist-to', state, '--show-interactive-dev-session=false', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
    let log = '';
    proc = spawn(process.execPath, args, {
      cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', FORCE_COLOR: '0' },
    });
    proc.stdout?.on('data', (b) => (log = (log + b).slice(-4000)));
    proc.stderr?.on('data', (b) => (log = (log + b).slice(-4000)));
    const origin = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 480; i++) {
      if (await fetch(`${origin}/healthz`).then((r) => r.ok, () => false)) return { origin, key, close };
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`wrangler dev did not start:\n${log}`);
  } catch (e) {
    await close();
    throw e;
  }
}
