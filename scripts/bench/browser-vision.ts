/**
 * Per-stage time of the vision stages in the page (Chromium: WASM, and WebGPU where an adapter is given) against the
 * same stages in workerd (the API's timings_ms of a server run), fixture models, the demo's first sample post:
 *
 *   npx tsx scripts/bench/browser-vision.ts [--runs 5] [--sample 0]
 *
 * Starts the whole local service (wrangler dev, recorded LLM, MODEL_SET=fixtures) like the browser tests. The first
 * run of each mode is reported apart (cold: ORT start, sessions, model files); the table shows the median of the
 * warm runs in ms, each on a new copy of the sample image (same pixels, another hash, so no image-level cache hit). WebGPU is tried with Chromium's software adapter (SwiftShader); what happened is printed.
 * Numbers are indicative: the load average at the time is printed with them.
 */
import { loadavg } from 'node:os';
import { crc32 } from 'node:zlib';
import type { Page } from 'playwright-core';
import { findChromium, launchChromium } from '../../test/browser/support/chromium';
import { startService } from '../../test/browser/support/service';
import { SAMPLES } from '../../web/src/samples';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 5);
const SAMPLE = arg('sample', 0);
const STAGES = ['entail_prepare', 'ground_prepare', 'segment_prepare', 'entail', 'ground', 'segment'];

type Mode = 'server' | 'wasm' | 'webgpu';
interface Outcome { cold: Record<string, number>; warm: Record<string, number>; note: string }

/** The PNG with a tEXt chunk before IEND: the same pixels under another SHA-256. */
function withTextChunk(png: Buffer, text: string): Buffer {
  const body = Buffer.concat([Buffer.from('tEXt'), Buffer.from(`Comment\0${text}`, 'latin1')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runOnce(page: Page, inBrowser: boolean): Promise<{ timings: Record<string, number>; backend: string | null }> {
  await page.setChecked('#browser-vision', inBrowser);
  await page.evaluate("document.getElementById('status').textContent = ''");
  await page.click('#run');
  await page.waitForFunction("document.getElementById('status')?.textContent?.startsWith('Done') || !document.getElementById('error').hidden", null, { timeout: 120_000 });
  if (!(await page.locator('#error').isHidden())) throw new Error((await page.textContent('#error')) ?? 'error');
  const raw = JSON.parse((await page.textContent('#raw-json'))!);
  return inBrowser ? { timings: raw.browser.timings_ms, backend: raw.browser.backend } : { timings: raw.timings_ms, backend: null };
}

async function measure(origin: string, key: string, mode: Mode): Promise<Outcome> {
  const browser = await launchChromium({ webgpu: mode === 'webgpu' });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/${mode === 'server' ? '' : `?backend=${mode}`}`);
    await page.waitForSelector('body[data-ready="true"]');
    let note = '';
    if (mode === 'webgpu') {
      const adapter = await page.evaluate(`(async () => { const a = await navigator.gpu?.requestAdapter(); const i = a?.info; return a ? [i?.vendor, i?.architecture, i?.device, i?.description].filter(Boolean).join(' / ') || 'unnamed' : null; })()`);
      if (!adapter) return { cold: {}, warm: {}, note: 'navigator.gpu gave no adapter with these flags' };
      note = `adapter ${adapter}`;
    }
    await page.fill('#key', key);
    await page.selectOption('#sample', String(SAMPLE));
    await page.check('#masks');
    const sample = Buffer.from(await (await fetch(`${origin}${SAMPLES[SAMPLE].image}`)).arrayBuffer());
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A new image each run (same pixels, another hash): image-level work is cached per image on both sides.
      await page.setInputFiles('#file', { name: `run-${i}.png`, mimeType: 'image/png', buffer: withTextChunk(sample, `${mode} run ${i} ${Date.now()}`) });
      const r = await runOnce(page, mode !== 'server');
      if (r.backend && r.backend !== mode) note += ` (page ran ${r.backend})`;
      runs.push(r.timings);
    }
    const warm = Object.fromEntries(STAGES.map((s) => [s, median(runs.slice(1).map((t) => t[s] ?? NaN))]));
    return { cold: runs[0], warm, note };
  } catch (e) {
    return { cold: {}, warm: {}, note: `failed: ${(e as Error).message.split('\n')[0].slice(0, 300)}` };
  } finally {
    await browser.close();
  }
}

if (!findChromium()) throw new Error('no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
const service = await startService();
try {
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const out: Record<Mode, Outcome> = { server: await measure(service.origin, service.key, 'server'), wasm: await measure(service.origin, service.key, 'wasm'), webgpu: await measure(service.origin, service.key, 'webgpu') };
  const cell = (o: Outcome, s: string, which: 'cold' | 'warm') => (Number.isFinite(o[which][s]) ? o[which][s].toFixed(1) : '—');
  console.log(`\nFixture models, sample ${SAMPLE}, ${RUNS} runs per mode (first = cold), load average at start ${load}, now ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log('| stage | workerd (server) warm | page WASM warm | page WebGPU warm | workerd cold | page WASM cold | page WebGPU cold |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const s of STAGES) console.log(`| ${s} | ${cell(out.server, s, 'warm')} | ${cell(out.wasm, s, 'warm')} | ${cell(out.webgpu, s, 'warm')} | ${cell(out.server, s, 'cold')} | ${cell(out.wasm, s, 'cold')} | ${cell(out.webgpu, s, 'cold')} |`);
  for (const m of ['server', 'wasm', 'webgpu'] as Mode[]) if (out[m].note) console.log(`\n${m}: ${out[m].note}`);
} finally {
  await service.close();
}
