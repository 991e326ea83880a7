/// <reference types="node" />
/**
 * `npm run bench -- jobs [--jobs 200] [--llm-ms 0] [--masks] [--batch-size N] [--json]`
 *
 * Jobs per second one local consumer sustains. The api Worker is built exactly as `wrangler deploy` builds
 * it (dry run) and run in one workerd through the Miniflare API with the bindings of wrangler.toml: the
 * gmner-jobs queue (producer, and its consumer with wrangler.toml's max_batch_size / max_batch_timeout /
 * max_retries, unless --batch-size overrides the batch size), the dead-letter queue, D1 (migrated from
 * infra/migrations) and the ApiKeyMeter Durable Object. Around it, in this Node process: the recorded LLM
 * server (test/llm-server; `slow?delay_ms=` when --llm-ms is given) and a loopback callback receiver
 * (test/setup/callbacks.ts). MODEL_SET=fixtures: every vision stage runs its fixture model in the isolate.
 *
 * One warm-up job (isolate start, fixture models loaded) is not measured. Then `jobs` posts (the unit
 * recordings in turn, each with a 640 x 480 photo-like JPEG inline) are submitted through POST /v1/batch
 * (100 per request, as a client would) with an API key issued into the D1, and the clock runs from the
 * first submission to the arrival of the last signed callback. Every callback is checked: one per job,
 * `job.succeeded`, a valid Standard Webhooks signature (the `standardwebhooks` package).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as miniflare from 'miniflare';
import { readD1Migrations } from '@cloudflare/vitest-plugin';
import { Webhook } from 'standardwebhooks';
import { unstable_readConfig } from 'wrangler';
import { insertKeyStatement, newKey } from '../../functions/api/accounts/keys';
import { startLlmServer } from '../../test/llm-server/server';
import { UNIT_RECORDINGS } from '../../test/llm-server/unit-recordings';
import { startCallbackReceiver } from '../../test/setup/callbacks';
import type { ReceivedCallback } from '../../test/setup/callbacks-config';
import { buildWorker } from '../../test/support/built-worker';
import { machine } from './models';
import { jpegBase64 } from './test-card';

const ROOT = resolve(import.meta.dirname, '..', '..');
const IMAGE = { width: 640, height: 480, quality: 85 };

export interface JobsBenchOptions { jobs: number; llmMs: number; masks: boolean; batchSize?: number }
export interface JobsBenchReport {
  machine: string;
  consumer: { max_batch_size: number; max_batch_timeout: number; max_retries: number };
  jobs: number;
  llm_ms: number;
  masks: boolean;
  submit_ms: number;
  wall_ms: number;
  jobs_per_second: number;
  latency_ms: { p50: number; p95: number; max: number };
  callbacks: { received: number; duplicates: number; bad_signatures: number; failed_jobs: number };
  entities_per_job: number;
}

type Mf = Pick<miniflare.Miniflare, 'ready' | 'dispatchFetch' | 'dispose' | 'getD1Database'>;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

export async function benchJobs(opts: JobsBenchOptions, log: (line: string) => void): Promise<JobsBenchReport> {
  const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') });
  const consumer = config.queues.consumers?.find((c: { queue: string }) => c.queue === 'gmner-jobs');
  const producer = config.queues.producers?.find((p: { binding: string }) => p.binding === 'JOBS');
  if (!consumer || !producer) throw new Error('wrangler.toml declares no gmner-jobs producer (JOBS) and consumer');
  const settings = {
    max_batch_size: opts.batchSize ?? consumer.max_batch_size ?? 10,
    max_batch_timeout: consumer.max_batch_timeout ?? 5,
    max_retries: consumer.max_retries ?? 3,
  };

  const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  const receiver = await startCallbackReceiver(0);
  log('building the Worker (wrangler deploy --dry-run) ...');
  const { outdir } = buildWorker();
  const modules = (await import('node:fs')).readdirSync(outdir).filter((f) => /\.(js|mjs|wasm|onnx|bin)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : /\.(js|mjs)$/.test(f) ? 'ESModule' : 'Data', path: join(outdir, f) }) as const)
    .sort((a, b) => (a.path.endsWith('index.js') ? -1 : b.path.endsWith('index.js') ? 1 : 0));
  const errors: string[] = [];
  const v4 = {
    modulesRoot: outdir,
    modules,
    compatibilityDate: config.compatibility_date,
    d1Databases: ['DB'],
    durableObjects: { METER: { className: 'ApiKeyMeter', useSQLite: true } },
    queueProducers: { JOBS: { queueName: producer.queue } },
    queueConsumers: {
      [consumer.queue]: { maxBatchSize: settings.max_batch_size, maxBatchTimeout: settings.max_batch_timeout, maxRetries: settings.max_retries, deadLetterQueue: consumer.dead_letter_queue },
      ...(consumer.dead_letter_queue ? { [consumer.dead_letter_queue]: { maxBatchSize: 10, maxBatchTimeout: 1 } } : {}),
    },
    r2Buckets: ['MODELS'],
    bindings: {
      ...(config.vars as Record<string, string>),
      LLM_BASE_URL: `${llm.url}`,
      LLM_API_KEY: 'sk-bench',
      LLM_MODEL: opts.llmMs > 0 ? `slow?delay_ms=${opts.llmMs}` : 'recorded',
      MODEL_SET: 'fixtures',
      ALLOW_INSECURE_CALLBACK_URLS: 'true',
    },
    // The Worker logs one JSON line per request and per job step: keep errors, drop the rest.
    handleStructuredLogs(l: { level: string; message: string }) {
      if (l.level === 'error' || l.level === 'warn') errors.push(l.message);
    },
  };
  const m = miniflare as unknown as { Miniflare: new (o: unknown) => Mf; convertV4MiniflareOptions?: (o: unknown) => unknown };
  const mf = new m.Miniflare(m.convertV4MiniflareOptions ? m.convertV4MiniflareOptions(v4) : v4);
  try {
    await mf.ready;
    const db = await mf.getD1Database('DB');
    for (const migration of await readD1Migrations(join(ROOT, 'infra/migrations'))) {
      await db.batch(migration.queries.map((q) => db.prepare(q)));
    }
    const k = await newKey({ name: 'bench-jobs' });
    const ins = insertKeyStatement(k);
    await db.prepare(ins.sql).bind(...ins.params).run();
    const auth = { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' };
    const image = await jpegBase64(IMAGE.width, IMAGE.height, IMAGE.quality, { seed: 7, block: true });
    const callback = (name: string) => `http://127.0.0.1:${receiver.port}/hook/${name}`;
    const item = (i: number) => ({ text: UNIT_RECORDINGS[i % UNIT_RECORDINGS.length].text, image: { data: image, media_type: 'image/jpeg' }, options: { masks: opts.masks } });
    const inbox = async (name: string): Promise<ReceivedCallback[]> => (await fetch(`http://127.0.0.1:${receiver.port}/__inbox/${name}`)).json() as Promise<ReceivedCallback[]>;
    const waitFor = async (name: string, n: number, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const got = await inbox(name);
        if (got.length >= n) return got;
        if (Date.now() > until) throw new Error(`${got.length} of ${n} callbacks after ${timeoutMs} ms; Worker stderr: ${errors.join('').slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const submit = async (items: unknown[], cb: string) => {
      const res = await mf.dispatchFetch('http://bench.local/v1/batch', { method: 'POST', headers: auth, body: JSON.stringify({ items, callback_url: cb }) });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`POST /v1/batch answered ${res.status}: ${text.slice(0, 1000)}`);
      return JSON.parse(text) as { id: string; jobs: { id: string }[] };
    };

    log('warm-up job ...');
    await submit([item(0)], callback('warmup'));
    await waitFor('warmup', 1, 120_000);

    log(`${opts.jobs} jobs (batch size ${settings.max_batch_size}, batch timeout ${settings.max_batch_timeout} s, LLM ${opts.llmMs} ms, masks ${opts.masks ? 'on' : 'off'}) ...`);
    const submittedAt = new Map<string, number>();
    const t0 = Date.now();
    for (let i = 0; i < opts.jobs; i += 100) {
      const items = Array.from({ length: Math.min(100, opts.jobs - i) }, (_, j) => item(i + j));
      const at = Date.now();
      for (const j of (await submit(items, callback('run'))).jobs) submittedAt.set(j.id, at);
    }
    const submitMs = Date.now() - t0;
    const got = await waitFor('run', opts.jobs, Math.max(120_000, opts.jobs * 2_000));
    const wall = Math.max(...got.map((c) => c.at)) - t0;

    const wh = new Webhook(k.row.webhook_secret);
    const seen = new Set<string>();
    let bad = 0, failed = 0, duplicates = 0, entities = 0;
    const latency: number[] = [];
    for (const c of got) {
      let event: { type: string; data: { id: string; result?: { entities: unknown[] } } };
      try {
        event = wh.verify(c.body, { 'webhook-id': c.headers['webhook-id'], 'webhook-timestamp': c.headers['webhook-timestamp'], 'webhook-signature': c.headers['webhook-signature'] }) as typeof event;
      } catch {
        bad++;
        continue;
      }
      if (seen.has(event.data.id)) duplicates++;
      seen.add(event.data.id);
      if (event.type !== 'job.succeeded') failed++;
      entities += event.data.result?.entities.length ?? 0;
      const sent = submittedAt.get(event.data.id);
      if (sent !== undefined) latency.push(c.at - sent);
    }
    if (seen.size !== opts.jobs) throw new Error(`callbacks for ${seen.size} distinct jobs, expected ${opts.jobs}`);
    return {
      machine: machine().split(', onnxruntime')[0],
      consumer: settings,
      jobs: opts.jobs,
      llm_ms: opts.llmMs,
      masks: opts.masks,
      submit_ms: submitMs,
      wall_ms: wall,
      jobs_per_second: Math.round((opts.jobs / (wall / 1000)) * 10) / 10,
      latency_ms: { p50: pct(latency, 50), p95: pct(latency, 95), max: Math.max(...latency) },
      callbacks: { received: got.length, duplicates, bad_signatures: bad, failed_jobs: failed },
      entities_per_job: Math.round((entities / seen.size) * 10) / 10,
    };
  } finally {
    await mf.dispose();
    await receiver.close();
    await llm.close();
  }
}

export function jobsTable(r: JobsBenchReport): string {
  return [
    `Machine: ${r.machine}`,
    `Consumer: max_batch_size ${r.consumer.max_batch_size}, max_batch_timeout ${r.consumer.max_batch_timeout} s (one local workerd, Miniflare queue)`,
    '',
    '| jobs | LLM delay ms | masks | entities/job | submit ms | wall ms (first submit -> last callback) | jobs/s | latency p50 / p95 / max ms | callbacks (dup, bad sig, failed) |',
    '|---:|---:|---|---:|---:|---:|---:|---|---|',
    `| ${r.jobs} | ${r.llm_ms} | ${r.masks ? 'on' : 'off'} | ${r.entities_per_job} | ${r.submit_ms} | ${r.wall_ms} | **${r.jobs_per_second}** | ${r.latency_ms.p50} / ${r.latency_ms.p95} / ${r.latency_ms.max} | ${r.callbacks.received} (${r.callbacks.duplicates}, ${r.callbacks.bad_signatures}, ${r.callbacks.failed_jobs}) |`,
  ].join('\n');
}

export async function jobsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { jobs: { type: 'string' }, 'llm-ms': { type: 'string' }, masks: { type: 'boolean' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' } },
  });
  const report = await benchJobs({
    jobs: Number(values.jobs ?? 200),
    llmMs: Number(values['llm-ms'] ?? 0),
    masks: !!values.masks,
    batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
  }, (l) => console.error(l));
  console.log(values.json ? JSON.stringify(report, null, 2) : jobsTable(report));
  return report.callbacks.bad_signatures || report.callbacks.failed_jobs ? 1 : 0;
}
