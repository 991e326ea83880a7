/// <reference types="node" />
/**
 * `npm run bench -- load [--clients 16] [--seconds 60] [--masks on|off|both] [--quota 10] [--drain-seconds 180]
 *                        [--port P] [--json FILE]`
 *
 * The service as `npm start` runs it (wrangler dev of wrangler.toml, its own local state in a temporary
 * folder), with the recorded LLM (test/llm-server) and MODEL_SET=fixtures, all on loopback:
 *
 * 1. Load: `clients` concurrent clients for `seconds` send, in turn, sync JSON, multipart, SSE (half of them
 *    hanging up right after `event: entities`), jobs, batches of 2, signed inbound hooks and bad input
 *    (scripts/bench/load-client.ts); masks on, off, or alternating. Reported: requests/s, p50/p95/p99 per
 *    kind, counts by status.
 * 2. Checks, each a PASS/FAIL line (the command exits 1 on any FAIL):
 *    - every answer is a success or a precise problem+json of the catalogue;
 *    - no job is lost: every job id is polled until it ends `succeeded`, or `failed` with a precise problem,
 *      within --drain-seconds;
 *    - billing is exact: per kind, a fresh key with quota Q gets 3Q requests (2Q at once, then Q at once while
 *      the first wave's jobs may still be queued); after its jobs end, GET /v1/usage shows exactly Q units
 *      (a batch holds 2 posts: floor(Q/2) batches), that many answers succeeded, and every refusal is a 429.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLlmServer } from '../../test/llm-server/server';
import { UNIT_RECORDINGS } from '../../test/llm-server/unit-recordings';
import { startCallbackReceiver } from '../../test/setup/callbacks';
import { createKeys, startWranglerDev, type CreatedKey } from '../../test/support/wrangler-dev';
import { KINDS, jobState, newHookSecret, send, type Kind, type LoadTarget, type Sample } from './load-client';
import { machine } from './models';
import { jpegBase64 } from './test-card';

export interface LoadOptions { clients: number; seconds: number; masks: 'on' | 'off' | 'both'; quota: number; drainSeconds: number; port?: number }

const BILLED_KINDS: Kind[] = ['sync-json', 'multipart', 'sse', 'sse-drop', 'job', 'batch', 'hook'];
// Posts the recorded server has answers for, with at least one entity (u8 has none).
const POSTS = UNIT_RECORDINGS.filter((r) => r.id !== 'u8').map((r) => r.text);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]) : NaN;
};

const masksFor = (mode: LoadOptions['masks'], n: number) => (mode === 'both' ? n % 2 === 1 : mode === 'on');

/** `clients` loops until the deadline; client c's k-th request is kind (c + k) mod |KINDS|, so every kind runs throughout. */
async function runLoad(t: LoadTarget, opts: LoadOptions): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  // Bounded in count as well as time: no client sends more than this however fast the answers come.
  const maxPerClient = opts.seconds * 200;
  await Promise.all(Array.from({ length: opts.clients }, async (_, c) => {
    for (let k = 0; k < maxPerClient && performance.now() < deadline; k++) {
      const kind = KINDS[(c + k) % KINDS.length];
      // Masks alternate per round of kinds, so with `both` every kind runs with and without.
      samples.push(await send(t, kind, masksFor(opts.masks, Math.floor((c + k) / KINDS.length))));
    }
  }));
  return { samples, wallMs: performance.now() - t0 };
}

/** Polls every job until it ends; what is still open at the deadline is lost. */
async function drainJobs(origin: string, auth: Record<string, string>, ids: string[], seconds: number) {
  const until = Date.now() + seconds * 1000;
  const ended = new Map<string, { status: string; issue?: string }>();
  let open = ids;
  while (open.length && Date.now() < until) {
    const states = await Promise.all(open.map(async (id) => [id, await jobState(origin, auth, id).catch((e) => ({ status: 'unreadable', issue: String(e) }))] as const));
    for (const [id, s] of states) if (s.status === 'succeeded' || s.status === 'failed') ended.set(id, s);
    open = states.filter(([, s]) => s.status !== 'succeeded' && s.status !== 'failed').map(([id]) => id);
    if (open.length) await new Promise((r) => setTimeout(r, 1000));
  }
  const stuck: Record<string, number> = {};
  for (const id of open) {
    const s = await jobState(origin, auth, id).catch(() => ({ status: 'unreadable' }));
    stuck[s.status] = (stuck[s.status] ?? 0) + 1;
  }
  const issues = [...ended.values()].filter((s) => s.issue).map((s) => s.issue!);
  const byStatus: Record<string, number> = {};
  for (const s of ended.values()) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  return { total: ids.length, byStatus, stuck, issues };
}

export interface BillingRow { kind: Kind; quota: number; sent: number; succeeded: number; refused429: number; other: Record<string, number>; units: number; jobs_open: number; pass: boolean }

async function billing(target: LoadTarget, key: CreatedKey, kind: Kind, quota: number, drainSeconds: number): Promise<BillingRow> {
  const t = { ...target, auth: key.auth };
  // 2Q at once (a race for the last units), then Q more once those are answered, while their jobs may
  // still be queued (what an admitted job holds must count).
  // A hung-up stream always asks for masks: the most work after `event: entities`, so the hang-up lands mid-pipeline.
  const wave = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => send(t, kind, kind === 'sse-drop' || i % 2 === 1)));
  const samples = [...(await wave(2 * quota)), ...(await wave(quota))];
  // A batch here is 2 posts, so a success is 2 units; the rest 1.
  const unitsPer = kind === 'batch' ? 2 : 1;
  const succeeded = samples.filter((s) => s.status >= 200 && s.status < 300).length;
  const refused429 = samples.filter((s) => s.status === 429).length;
  const other: Record<string, number> = {};
  for (const s of samples) if (!(s.status >= 200 && s.status < 300) && s.status !== 429) other[s.status] = (other[s.status] ?? 0) + 1;
  const jobs = samples.flatMap((s) => s.jobs ?? []);
  const drained = jobs.length ? await drainJobs(t.origin, t.auth, jobs, drainSeconds) : { stuck: {} };
  const jobsOpen = Object.values(drained.stuck).reduce((a, b) => a + b, 0);
  const usage = await (await fetch(`${t.origin}/v1/usage`, { headers: t.auth })).json() as { totals: { units: number } };
  const units = usage.totals.units;
  const expected = Math.floor(quota / unitsPer) * unitsPer;
  const pass = units === expected && succeeded * unitsPer === expected && refused429 + succeeded === samples.length && jobsOpen === 0;
  return { kind, quota, sent: samples.length, succeeded, refused429, other, units, jobs_open: jobsOpen, pass };
}

export async function benchLoad(opts: LoadOptions, log: (line: string) => void) {
  const state = mkdtempSync(join(tmpdir(), 'gmner-load-'));
  const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  const receiver = await startCallbackReceiver(0);
  let dev: Awaited<ReturnType<typeof startWranglerDev>> | undefined;
  try {
    log('creating keys (npm run keys) ...');
    const rate = 1_000_000;
    const keySpecs = [{ name: 'load', rate }, ...BILLED_KINDS.map((k) => ({ name: `quota-${k}`, quota: opts.quota, rate }))];
    const [loadKey, ...quotaKeys] = await createKeys(state, keySpecs);
    const hookSecret = newHookSecret();
    const hookKey = quotaKeys[BILLED_KINDS.indexOf('hook')];
    const vars: Record<string, string> = {
      LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded', MODEL_SET: 'fixtures',
      ALLOW_INSECURE_CALLBACK_URLS: 'true', JOB_RETRY_DELAYS: '1,2,4,8,16,32,64,128',
      HOOK_SECRET_LOAD: hookSecret, HOOK_KEY_LOAD: loadKey.id,
      HOOK_SECRET_QUOTA: hookSecret, HOOK_KEY_QUOTA: hookKey.id,
    };
    log('starting wrangler dev ...');
    dev = await startWranglerDev({ state, vars, port: opts.port });
    const target: LoadTarget = {
      origin: dev.origin, auth: loadKey.auth, hook: { source: 'load', secret: hookSecret },
      callbackUrl: `http://127.0.0.1:${receiver.port}/hook/load`, posts: POSTS, image: await jpegBase64(),
    };
    log('warm-up (isolate start, fixture models loaded) ...');
    for (const masks of [false, true]) {
      const w = await send(target, 'sync-json', masks);
      if (w.status !== 200) throw new Error(`warm-up answered ${w.status}: ${w.issue ?? w.problem}`);
    }

    log(`load: ${opts.clients} clients for ${opts.seconds} s, masks ${opts.masks} ...`);
    const { samples, wallMs } = await runLoad(target, opts);
    log(`draining ${samples.flatMap((s) => s.jobs ?? []).length} jobs ...`);
    const jobs = await drainJobs(dev.origin, loadKey.auth, samples.flatMap((s) => s.jobs ?? []), opts.drainSeconds);

    log(`billing: quota ${opts.quota}, ${3 * opts.quota} concurrent requests per kind ...`);
    const bills: BillingRow[] = [];
    for (const [i, kind] of BILLED_KINDS.entries()) {
      const t = kind === 'hook' ? { ...target, hook: { source: 'quota', secret: hookSecret } } : target;
      bills.push(await billing(t, quotaKeys[i], kind, opts.quota, opts.drainSeconds));
    }
    return report(opts, samples, wallMs, jobs, bills);
  } finally {
    await dev?.stop();
    await receiver.close();
    await llm.close();
    rmSync(state, { recursive: true, force: true });
  }
}

function report(opts: LoadOptions, samples: Sample[], wallMs: number, jobs: Awaited<ReturnType<typeof drainJobs>>, bills: BillingRow[]) {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const name = opts.masks === 'both' ? `${s.kind} (masks ${s.masks ? 'on' : 'off'})` : s.kind;
    groups.set(name, [...(groups.get(name) ?? []), s]);
  }
  const count = (xs: Sample[]) => {
    const by: Record<string, number> = {};
    for (const s of xs) by[s.status] = (by[s.status] ?? 0) + 1;
    return by;
  };
  const kinds = [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, xs]) => ({
    kind: name, requests: xs.length, per_second: +(xs.length / (wallMs / 1000)).toFixed(2),
    p50_ms: pct(xs.map((s) => s.ms), 50), p95_ms: pct(xs.map((s) => s.ms), 95), p99_ms: pct(xs.map((s) => s.ms), 99), statuses: count(xs),
  }));
  const imprecise = samples.filter((s) => !s.precise);
  const stuck = Object.values(jobs.stuck).reduce((a, b) => a + b, 0);
  const checks = [
    { name: 'every answer is a success or a precise problem', pass: imprecise.length === 0, detail: `${imprecise.length} of ${samples.length} not${imprecise.length ? `; e.g. ${[...new Set(imprecise.map((s) => `${s.kind}: ${s.issue}`))].slice(0, 5).join(' | ')}` : ''}` },
    { name: 'no lost jobs', pass: stuck === 0 && jobs.issues.length === 0, detail: `${jobs.total} jobs: ended ${JSON.stringify(jobs.byStatus)}, still open after ${opts.drainSeconds} s ${JSON.stringify(jobs.stuck)}${jobs.issues.length ? `, failed without a precise problem: ${jobs.issues.length} (${jobs.issues[0]})` : ''}` },
    ...bills.map((b) => ({
      name: `billing exact: ${b.kind}`, pass: b.pass,
      detail: `quota ${b.quota}, ${b.sent} requests (2Q + Q concurrent): ${b.succeeded} succeeded, ${b.refused429} refused 429${Object.keys(b.other).length ? `, other ${JSON.stringify(b.other)}` : ''}; ${b.units} units billed${b.jobs_open ? `; ${b.jobs_open} jobs still open` : ''}`,
    })),
  ];
  return {
    machine: machine().split(', onnxruntime')[0],
    settings: opts,
    wall_ms: Math.round(wallMs),
    requests: samples.length,
    requests_per_second: +(samples.length / (wallMs / 1000)).toFixed(2),
    statuses: count(samples),
    kinds,
    jobs,
    billing: bills,
    checks,
  };
}

export type LoadReport = Awaited<ReturnType<typeof benchLoad>>;

export function loadTable(r: LoadReport): string {
  return [
    `Machine: ${r.machine}; wrangler dev (local workerd), recorded LLM, MODEL_SET=fixtures`,
    `${r.settings.clients} clients, ${r.settings.seconds} s, masks ${r.settings.masks}: ${r.requests} requests in ${r.wall_ms} ms = ${r.requests_per_second} requests/s; statuses ${JSON.stringify(r.statuses)}`,
    '',
    '| kind | requests | per s | p50 ms | p95 ms | p99 ms | statuses |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...r.kinds.map((k) => `| ${k.kind} | ${k.requests} | ${k.per_second} | ${k.p50_ms} | ${k.p95_ms} | ${k.p99_ms} | ${Object.entries(k.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')} |`),
    '',
    ...r.checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`),
  ].join('\n');
}

export async function loadCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: 'string' }, seconds: { type: 'string' }, masks: { type: 'string' }, quota: { type: 'string' },
      'drain-seconds': { type: 'string' }, port: { type: 'string' }, json: { type: 'string' },
    },
  });
  const masks = (values.masks ?? 'both') as LoadOptions['masks'];
  if (!['on', 'off', 'both'].includes(masks)) throw new Error('--masks must be on, off or both');
  const opts: LoadOptions = {
    clients: Number(values.clients ?? 16), seconds: Number(values.seconds ?? 60), masks,
    quota: Number(values.quota ?? 10), drainSeconds: Number(values['drain-seconds'] ?? 180), port: values.port ? Number(values.port) : undefined,
  };
  for (const [k, v] of Object.entries(opts)) if (typeof v === 'number' && !(v > 0)) throw new Error(`--${k} must be a positive number`);
  const r = await benchLoad(opts, (l) => console.error(l));
  console.log(loadTable(r));
  if (values.json) writeFileSync(values.json, JSON.stringify(r, null, 2));
  return r.checks.every((c) => c.pass) ? 0 : 1;
}
