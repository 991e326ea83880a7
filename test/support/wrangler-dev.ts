/// <reference types="node" />
/**
 * Node only: the API as `npm start` serves it (`wrangler dev` of wrangler.toml) on loopback, with its own
 * local state folder and free ports, plus keys made by `npm run keys` (scripts/keys.ts) in that state.
 * Used by the Node tests that need a real server (accounts-keys, faults-*) and by the scripts that
 * measure or load it (scripts/measure-accounting.ts, scripts/bench/load.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { main as keys } from '../../scripts/keys';
import { freePort } from '../setup/free-ports';

export const ROOT = resolve(import.meta.dirname, '../..');
/** No account, no telemetry, no Request.cf download: the dev server runs offline. */
export const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  FORCE_COLOR: '0',
};

export interface DevServer {
  origin: string;
  port: number;
  proc: ChildProcess;
  /** The dev server's stdout and stderr so far (the Worker's console lines among them), last 4 MB. */
  output(): string;
  stop(): Promise<void>;
}

export interface DevOptions {
  /** Local state folder (`--persist-to`): D1, R2, Durable Objects, queues. */
  state: string;
  vars?: Record<string, string>;
  /** Another entry than wrangler.toml's `main` (e.g. scripts/measure/no-accounting.ts). */
  script?: string;
  /** Default: a free loopback port. */
  port?: number;
  timeoutMs?: number;
}

export async function startWranglerDev(opts: DevOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const inspector = await freePort();
  const args = ['node_modules/wrangler/bin/wrangler.js', 'dev', ...(opts.script ? [opts.script] : []), '--config', 'wrangler.toml',
    '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', opts.state,
    '--show-interactive-dev-session=false'];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}:${v}`);
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: WRANGLER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 4 << 20) out = out.slice(-(2 << 20));
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };
  const origin = `http://127.0.0.1:${port}`;
  const until = Date.now() + (opts.timeoutMs ?? 120_000);
  while (Date.now() < until && proc.exitCode === null) {
    if (await fetch(`${origin}/healthz`).then((r) => r.ok, () => false)) return { origin, port, proc, output: () => out, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev ${opts.script ?? ''} did not start on ${origin}:\n${out.slice(-3000)}`);
}

export interface CreatedKey {
  id: string;
  key: string;
  webhook_secret: string;
  auth: Record<string, string>;
}

/** `npm run keys -- create` for each, in this local state; ids are read back with one `keys list` (give unique names). */
export async function createKeys(state: string, specs: { name: string; quota?: number; rate?: number }[]): Promise<CreatedKey[]> {
  const made: { name: string; key: string; webhook_secret: string }[] = [];
  for (const spec of specs) {
    const args = ['create', '--name', spec.name, '--persist-to', state];
    if (spec.quota !== undefined) args.push('--quota', String(spec.quota));
    if (spec.rate !== undefined) args.push('--rate', String(spec.rate));
    made.push({ name: spec.name, ...((await keys(args)) as { key: string; webhook_secret: string }) });
  }
  const listed = (await keys(['list', '--persist-to', state])) as { id: string; key_prefix: string; name: string }[];
  return made.map(({ name, key, webhook_secret }) => {
    const row = listed.find((k) => k.name === name && key.startsWith(k.key_prefix));
    if (!row) throw new Error(`key ${name} not found after create`);
    return { id: row.id, key, webhook_secret, auth: { authorization: `Bearer ${key}` } };
  });
}

export const createKey = async (state: string, spec: { name: string; quota?: number; rate?: number }) => (await createKeys(state, [spec]))[0];
