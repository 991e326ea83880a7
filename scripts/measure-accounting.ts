/// <reference types="node" />
/**
 * The added latency of the accounting path (auth, rate limit and quota, Idempotency-Key, usage record)
 * on POST /v1/recognize, end to end over HTTP from Node:
 *
 *   A  `wrangler dev` of the real Worker (functions/api/index.ts) with a key from `npm run keys`
 *   A+ the same, each request with a fresh Idempotency-Key (fingerprint + answer stored before replying)
 *   B  `wrangler dev` of the same app without the accounting middleware (scripts/measure/no-accounting.ts)
 *
 * Both serve the recorded LLM (test/llm-server, in this process) and MODEL_SET=fixtures (every vision
 * stage through onnxruntime-web), with masks, from one temporary local state. Requests go one at a time,
 * interleaved B, A, A+, after a warm-up; the result is each median and the median of the paired
 * differences A - B and A+ - B.
 *
 *   npx tsx scripts/measure-accounting.ts [--rounds 60] [--warmup 5] [--json FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { startLlmServer } from '../test/llm-server/server';
import { UNIT_RECORDINGS } from '../test/llm-server/unit-recordings';
import { createKey, startWranglerDev, type DevServer } from '../test/support/wrangler-dev';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 60);
const WARMUP = Number(values.warmup ?? 5);
const POST = UNIT_RECORDINGS.find((r) => r.id === 'u5')!.text;


/** A 320 x 240 RGB PNG, black with a white block (the fixture detector boxes it, the decoder masks it). */
function png(): Buffer {
  const w = 320, h = 240;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const on = x >= 100 && x < 220 && y >= 60 && y < 180 ? 255 : 0;
      raw.fill(on, y * (w * 3 + 1) + 1 + x * 3, y * (w * 3 + 1) + 4 + x * 3);
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const state = mkdtempSync(join(tmpdir(), 'gmner-measure-'));
const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
const servers: DevServer[] = [];
try {
  const { key } = await createKey(state, { name: 'measure' });
  const vars = { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded', MODEL_SET: 'fixtures', RATE_LIMIT_REQUESTS: '1000000' };
  const a = await startWranglerDev({ state, vars });
  servers.push(a);
  const b = await startWranglerDev({ state, vars, script: 'scripts/measure/no-accounting.ts' });
  servers.push(b);

  const body = JSON.stringify({ text: POST, image: { data: png().toString('base64'), media_type: 'image/png' }, options: { masks: true } });
  let n = 0;
  const once = async (origin: string, headers: Record<string, string>) => {
    const t0 = performance.now();
    const res = await fetch(`${origin}/v1/recognize`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${origin}: ${res.status} ${text.slice(0, 300)}`);
    const answer = JSON.parse(text) as { entities: { mask: unknown }[] };
    if (!answer.entities.some((e) => e.mask)) throw new Error('no mask in the answer: the vision stages did not run');
    return ms;
  };
  const auth = { authorization: `Bearer ${key}` };
  const variants = {
    B: () => once(b.origin, {}),
    A: () => once(a.origin, auth),
    'A+': () => once(a.origin, { ...auth, 'idempotency-key': `measure-${++n}` }),
  };
  for (let i = 0; i < WARMUP; i++) for (const run of Object.values(variants)) await run();
  const times: Record<string, number[]> = { B: [], A: [], 'A+': [] };
  for (let i = 0; i < ROUNDS; i++) for (const [name, run] of Object.entries(variants)) times[name].push(await run());

  const diff = (x: string) => times[x].map((t, i) => t - times.B[i]);
  const result = {
    machine: `${cpus().length}-core ${cpus()[0]?.model ?? 'unknown CPU'}, ${process.platform} ${process.arch}, Node ${process.version}, wrangler dev (local workerd)`,
    rounds: ROUNDS,
    median_ms: { without_accounting: median(times.B), with_accounting: median(times.A), with_accounting_and_idempotency_key: median(times['A+']) },
    p90_ms: { without_accounting: pct(times.B, 0.9), with_accounting: pct(times.A, 0.9), with_accounting_and_idempotency_key: pct(times['A+'], 0.9) },
    added_median_ms: { accounting: median(diff('A')), accounting_with_idempotency_key: median(diff('A+')) },
  };
  const f = (x: number) => x.toFixed(1);
  console.log(`Machine: ${result.machine}; ${ROUNDS} interleaved rounds after ${WARMUP} warm-up, one request at a time.`);
  console.log(`POST /v1/recognize (recorded LLM, MODEL_SET=fixtures, masks):`);
  console.log(`  without accounting              median ${f(result.median_ms.without_accounting)} ms  p90 ${f(result.p90_ms.without_accounting)} ms`);
  console.log(`  with accounting                 median ${f(result.median_ms.with_accounting)} ms  p90 ${f(result.p90_ms.with_accounting)} ms`);
  console.log(`  with accounting + Idempotency   median ${f(result.median_ms.with_accounting_and_idempotency_key)} ms  p90 ${f(result.p90_ms.with_accounting_and_idempotency_key)} ms`);
  console.log(`  added (median of paired differences): ${f(result.added_median_ms.accounting)} ms; with Idempotency-Key ${f(result.added_median_ms.accounting_with_idempotency_key)} ms`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await llm.close();
  rmSync(state, { recursive: true, force: true });
}
