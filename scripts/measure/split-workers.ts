/// <reference types="node" />
/**
 * `npx tsx scripts/measure/split-workers.ts [--runs N] [--set fixtures|default|lookalikes]`
 *
 * 1. The api bundle before and after the split: `wrangler deploy --dry-run` of wrangler.toml (functions/api/index.ts,
 *    ORT in the isolate) and of the generated split api config (functions/api/edge.ts, no ORT): wrangler's upload
 *    line, the bundle's bytes on disk, and its cold start: time from starting a fresh workerd (Miniflare API) with
 *    only that bundle to its first /healthz answer, median of N.
 * 2. The cost of a shard boundary: the segment stage Worker's prepare (which runs the SAM encoder) with the encoder
 *    chained over its shard Workers, against the same encoder whole in one part Worker; median of N new images each.
 *    The difference is what one more boundary costs (an RPC hop each way with the cut tensor, plus one more
 *    session.run); the bytes are those of the tensors crossing each cut, from the plan.
 * Latency here is indicative only on a busy machine; the bundle sizes are exact.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { bundle, modulesOf, startSplit } from '../../infra/miniflare';
import { tableFor, writeConfigs } from '../../infra/cli';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { imageToWire } from '../../shared/stages/wire';
import type { WorkerDecl } from '../../infra/workers';
import { cutBytes } from './cuts';
import { modelBindingName } from '../../shared/onnx/model-parts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { values: v } = parseArgs({ options: { runs: { type: 'string' }, set: { type: 'string' } } });
const RUNS = Number(v.runs ?? 5);
const SET = v.set ?? 'fixtures';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dirBytes = (d: string) => readdirSync(d).filter((f) => !f.endsWith('.map')).reduce((a, f) => a + statSync(join(d, f)).size, 0);

async function coldStart(outdir: string, main: string): Promise<number> {
  const t0 = performance.now();
  const mf = new Miniflare(convertV4MiniflareOptions({
    modulesRoot: outdir, modules: modulesOf(outdir, main) as never, compatibilityDate: '2026-07-20', r2Buckets: ['MODELS'],
    d1Databases: ['DB'], durableObjects: { METER: { className: 'ApiKeyMeter', useSQLite: true } }, queueProducers: { JOBS: 'gmner-jobs' },
  } as never));
  const res = await mf.dispatchFetch('http://localhost/healthz');
  await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  return ms;
}

async function bundles() {
  const before = bundle('wrangler.toml');
  const dir = mkdtempSync(join(tmpdir(), 'gmner-measure-'));
  const table = await tableFor({ ...process.env, MODEL_SET: 'default' });
  const [apiConfig] = writeConfigs(table.slice(0, 1), dir);
  const after = bundle(apiConfig);
  for (const [name, b, main] of [['before (functions/api/index.ts)', before, 'functions/api/index.ts'], ['after (functions/api/edge.ts)', after, 'functions/api/edge.ts']] as const) {
    const starts: number[] = [];
    for (let i = 0; i < RUNS; i++) starts.push(await coldStart(b.outdir, main));
    console.log(`api ${name}: ${b.uploadLine}; ${(dirBytes(b.outdir) / 2 ** 20).toFixed(2)} MiB on disk without source maps; ` +
      `cold start to first /healthz answer: median ${median(starts).toFixed(0)} ms (${starts.map((x) => x.toFixed(0)).join(', ')})`);
  }
}

async function boundary() {
  const only = (w: WorkerDecl) => w.name === 'gmner-segment' || w.hosts !== undefined && /mobilesam-encoder|sam-decoder/.test(w.hosts.model);
  const sharded = await startSplit({ env: { MODEL_SET: SET, MODEL_STORE: 'r2' }, only });
  const plan = sharded.table.filter((w) => w.kind === 'shard');
  if (plan.length === 0) {
    console.log(`the ${SET} set's segment encoder has no shard plan: nothing to measure`);
    await sharded.mf.dispose();
    return;
  }
  // the same encoder whole, in one part Worker
  const whole = await startSplit({
    env: { MODEL_SET: SET, MODEL_STORE: 'r2' },
    only,
    transform: (table) => {
      const model = plan[0].hosts!.model;
      const part: WorkerDecl = { ...plan[0], name: 'gmner-part-encoder', kind: 'part', vars: { ...plan[0].vars, PART_SHARD: '' }, hosts: { model, peakWasmBytes: 0 } };
      return [...table.filter((w) => w.kind !== 'shard').map((w) => (w.name === 'gmner-segment'
        ? { ...w, services: [...w.services.filter((s) => !s.binding.startsWith('SHARD_')), { binding: modelBindingName(model), service: part.name, entrypoint: 'ShardService' }] }
        : w)), part];
    },
  });
  const time = async (mf: Miniflare) => {
    const seg = await mf.getWorker('gmner-segment');
    const ms: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const img = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 4).fill(i * 13 % 256) };
      const t0 = performance.now();
      const res = await seg.fetch('http://segment/v1/prepare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: imageToWire(img), image_key: `m${i}-${Math.random()}` }) });
      if (res.status !== 204) throw new Error(`prepare answered ${res.status}: ${await res.text()}`);
      if (i > 0) ms.push(performance.now() - t0); // the first loads the sessions
    }
    return ms;
  };
  const entries = await modelSetFromEnv({ MODEL_SET: SET }).entries;
  for (const c of cutBytes(entries.filter((e) => e.id === plan[0].hosts!.model))) {
    console.log(`cut after shard ${c.after} of ${c.model}: ${c.tensors} = ${c.bytes} bytes (RPC limit 32 MiB = ${32 * 2 ** 20})`);
  }
  const a = await time(sharded.mf);
  const b = await time(whole.mf);
  await sharded.mf.dispose();
  await whole.mf.dispose();
  console.log(`segment prepare (encoder) over ${plan.length} shard Workers: median ${median(a).toFixed(1)} ms; whole in one part Worker: ${median(b).toFixed(1)} ms; ` +
    `${plan.length - 1} extra boundar${plan.length === 2 ? 'y' : 'ies'}: ${((median(a) - median(b)) / (plan.length - 1)).toFixed(1)} ms each (${RUNS} runs, one workerd)`);
}

await bundles();
await boundary();
