/**
 * How much a JPEG decode grows workerd, to choose maxIsolateDecodePixels (shared/image/README.md).
 *
 *   npx tsx scripts/bench-image-decode.ts [runs=3]
 *
 * Makes baseline and progressive JPEGs of 1-12 MP (mozjpeg in Node), bundles a Worker around this
 * repo's decoder (functions/api/recognize/image-decoder.ts, so the production wasm wiring) with wrangler, and for
 * each image starts a fresh workerd through the Miniflare API: one tiny decode to start the codec,
 * then RSS from /proc, then the big decode, then RSS and peak RSS (VmHWM) again, then two more
 * decodes, then a forced garbage collection (workerd runs with --expose-gc) and RSS once more.
 * Growth = peak - RSS before the big request (it includes the request body the Worker holds).
 * Medians over `runs` fresh processes. Local workerd enforces no memory limit; this is a proxy.
 * A 1024x768 PNG (what the Images binding hands back) is measured the same way. Last, 60 damaged
 * 2 MB JPEGs go to one workerd, with RSS after every 20 and a collection: failed decodes leak inside
 * the codec's heap, so this shows whether dropping the instance after a failure bounds it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as miniflare from 'miniflare';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode';
import encodePng, { init as initPngEncoder } from '@jsquash/png/encode';
import { photo } from './bench/test-card';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.tmp/bench-image-decode');
const RUNS = Number(process.argv[2] ?? 3);
// About 1, 2 (full HD), 3, 4, 8 and 12 megapixels (the last one is a common phone photo).
const SIZES: Array<[number, number]> = [[1152, 864], [1920, 1080], [2048, 1536], [2304, 1728], [3264, 2448], [4000, 3000]];

const WORKER = `
import { imageDecoder } from '${join(ROOT, 'functions/api/recognize/image-decoder.ts')}';
import { sniffFormat } from '${join(ROOT, 'shared/image/header.ts')}';
export default {
  async fetch(req) {
    // With --expose-gc (set below) a GET collects garbage, to tell what is kept from what is merely not yet collected.
    if (req.method === 'GET') { globalThis.gc?.(); return new Response('collected'); }
    const bytes = new Uint8Array(await req.arrayBuffer());
    const t0 = Date.now();
    const img = await imageDecoder().decode(bytes, sniffFormat(bytes));
    return Response.json({ width: img.width, height: img.height, ms: Date.now() - t0 });
  },
};
`;


async function makeJpegs(): Promise<Array<{ name: string; file: string; mp: number; kb: number }>> {
  const require = createRequire(import.meta.url);
  // Node may compile wasm from bytes (a Worker may not): hand Emscripten the binary.
  await initJpegEncoder({ wasmBinary: readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
  const out = [];
  for (const [w, h] of SIZES) {
    for (const progressive of [false, true]) {
      const name = `${w}x${h}-${progressive ? 'progressive' : 'baseline'}`;
      const file = join(WORK, `${name}.jpg`);
      if (!existsSync(file)) {
        // Quality 85 with 4:2:0 chroma, as cameras and most web images are.
        const jpeg = await encodeJpeg(photo(w, h), { quality: 85, progressive, baseline: !progressive });
        writeFileSync(file, new Uint8Array(jpeg));
      }
      out.push({ name, file, mp: (w * h) / 1e6, kb: Math.round(readFileSync(file).length / 1024) });
    }
  }
  const png = join(WORK, '1024x768.png');
  if (!existsSync(png)) {
    await initPngEncoder(readFileSync(require.resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm')));
    writeFileSync(png, new Uint8Array(await encodePng(photo(1024, 768))));
  }
  out.unshift({ name: '1024x768-png', file: png, mp: 0.79, kb: Math.round(readFileSync(png).length / 1024) });
  return out;
}

function bundle(): string {
  writeFileSync(join(WORK, 'worker.js'), WORKER);
  writeFileSync(join(WORK, 'wrangler.toml'), 'name = "bench-image-decode"\nmain = "worker.js"\ncompatibility_date = "2026-07-20"\n');
  const outdir = join(WORK, 'dist');
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, '--config', join(WORK, 'wrangler.toml')], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', FORCE_COLOR: '0' },
  });
  return outdir;
}

function workerdPid(): string {
  const kids = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.trim().split(/\s+/));
  const pid = kids.find(([, c]) => c === 'workerd')?.[0];
  if (!pid) throw new Error('workerd process not found');
  return pid;
}

function memMB(pid: string) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function start(outdir: string) {
  const modules = readdirSync(outdir).filter((f) => /\.(js|wasm)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(outdir, f) }) as const)
    .sort((a, b) => (a.path.endsWith('worker.js') ? -1 : b.path.endsWith('worker.js') ? 1 : 0));
  // Miniflare 5 takes a new option shape and converts the v4 one; Miniflare 4 takes v4 directly.
  const v4 = { modulesRoot: outdir, modules, compatibilityDate: '2026-07-20' };
  const m = miniflare as unknown as { Miniflare: new (o: unknown) => Pick<miniflare.Miniflare, 'ready' | 'dispatchFetch' | 'dispose'>; convertV4MiniflareOptions?: (o: unknown) => unknown };
  return new m.Miniflare(m.convertV4MiniflareOptions ? m.convertV4MiniflareOptions(v4) : v4);
}

const collect = async (mf: ReturnType<typeof start>) => (await mf.dispatchFetch('http://bench/')).text();

async function once(outdir: string, tiny: Uint8Array, jpeg: Uint8Array) {
  const mf = start(outdir);
  try {
    await mf.ready;
    const pid = workerdPid();
    const decode = async (b: Uint8Array) => {
      const r = await mf.dispatchFetch('http://bench/', { method: 'POST', body: b });
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
      return (await r.json()) as { ms: number };
    };
    await decode(tiny);
    const before = memMB(pid);
    const first = await decode(jpeg);
    const after = memMB(pid);
    const again = [(await decode(jpeg)).ms, (await decode(jpeg)).ms];
    const after3 = memMB(pid);
    await collect(mf);
    const collected = memMB(pid);
    return {
      base: before.rss, growth: after.peak - before.rss, after3: after3.rss - before.rss, afterGc: collected.rss - before.rss,
      ms: first.ms, msAgain: Math.min(...again),
    };
  } finally {
    await mf.dispose();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

mkdirSync(WORK, { recursive: true });
process.env.MINIFLARE_WORKERD_V8_FLAGS ??= '--expose-gc';
const jpegs = await makeJpegs();
const outdir = bundle();
// Starts the codec, so the growth measured is the decode's, not the wasm instantiation's.
const tiny = new Uint8Array(await encodeJpeg(photo(64, 48), { quality: 85 }));
const rows = [];
for (const j of jpegs) {
  const results: Array<Awaited<ReturnType<typeof once>>> = [];
  for (let r = 0; r < RUNS; r++) results.push(await once(outdir, tiny, readFileSync(j.file)));
  const m = (k: keyof (typeof results)[0]) => median(results.map((x) => x[k]));
  rows.push({
    image: j.name, MP: j.mp.toFixed(1), KB: j.kb, 'idle RSS MB': m('base').toFixed(0), 'peak growth MB': m('growth').toFixed(0),
    'after 3 decodes MB': m('after3').toFixed(0), 'after gc MB': m('afterGc').toFixed(0), 'first ms': m('ms'), 'later ms': m('msAgain'),
  });
  console.log(JSON.stringify(rows.at(-1)));
}
console.table(rows);

// Damaged input: a 1 MP JPEG with an impossible Huffman table, padded to 2 MB.
const good = readFileSync(jpegs[1].file);
const damaged = new Uint8Array(good.length + 2_000_000);
damaged.set(good);
const dht = damaged.findIndex((b, i) => b === 0xff && damaged[i + 1] === 0xc4);
damaged.fill(0xff, dht + 5, dht + 21);
const mf = start(outdir);
await mf.ready;
const pid = workerdPid();
const leak = [`start ${memMB(pid).rss.toFixed(0)} MB`];
for (let i = 1; i <= 60; i++) {
  const r = await mf.dispatchFetch('http://bench/', { method: 'POST', body: damaged });
  if (r.status !== 500) throw new Error(`damaged JPEG answered ${r.status}`);
  await r.text();
  if (i % 20 === 0) {
    await collect(mf);
    leak.push(`${i}: ${memMB(pid).rss.toFixed(0)} MB`);
  }
}
await mf.dispose();
console.log(`RSS over 60 damaged 2 MB JPEGs (after a collection): ${leak.join(', ')}`);
