/**
 * "Run vision in this browser" in Debian's Chromium against the whole local service (wrangler dev, recorded LLM,
 * MODEL_SET=fixtures): the page's own run of the stages draws the same boxes and masks as the server's run of the
 * same post and image, the model files are fetched once and then come from the Cache API, and nothing leaves the
 * machine. The page is forced onto WASM (?backend=wasm) so the main comparison does not depend on a GPU; the same
 * comparison on WebGPU runs where Chromium's software adapter is given, and says so where it is not.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { rleDecode } from '../../shared/vision/rle';
import { WEBGPU_FLAGS, findChromium, launchChromium, offlineContext } from './support/chromium';
import { SHOTS, chromiumSuite } from './support/suite';

const CHROMIUM = findChromium();

interface Ent {
  text: string;
  groundable: boolean | null;
  entailment_score: number | null;
  box: { x1: number; y1: number; x2: number; y2: number; score: number } | null;
  mask: { size: [number, number]; counts: string; area: number } | null;
}
interface Raw {
  entities: Ent[];
  warnings: string[];
  timings_ms: Record<string, number>;
  browser?: { backend: string; timings_ms: Record<string, number> };
}

/** Fraction of pixels two masks disagree on, of their union. */
function maskMismatch(a: NonNullable<Ent['mask']>, b: NonNullable<Ent['mask']>): number {
  const x = rleDecode(a);
  const y = rleDecode(b);
  let diff = 0;
  let union = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] || y[i]) union++;
    if (!!x[i] !== !!y[i]) diff++;
  }
  return union ? diff / union : 0;
}

/** The page's run found what the server's did: same entities and decisions, boxes within 1 px, masks within 1 %. */
function expectSameVision(local: Raw, server: Raw): void {
  expect(local.entities.map((e) => e.text)).toEqual(server.entities.map((e) => e.text));
  server.entities.forEach((s, i) => {
    const b = local.entities[i];
    expect(b.groundable, s.text).toBe(s.groundable);
    expect(Math.abs(b.entailment_score! - s.entailment_score!), s.text).toBeLessThan(1e-3);
    if (!s.box) return expect(b.box, s.text).toBeNull();
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(b.box![k] - s.box[k]), `${s.text} ${k}`).toBeLessThanOrEqual(1);
    expect(b.mask!.size).toEqual(s.mask!.size);
    expect(maskMismatch(b.mask!, s.mask!), s.text).toBeLessThan(0.01);
  });
}

describe.skipIf(!CHROMIUM)('vision in the browser (Chromium, fixtures)', () => {
  const suite = chromiumSuite();
  const { external, pageErrors } = suite;

  const newContext = (on: Browser = suite.browser) => offlineContext(on, external);

  async function open(context: BrowserContext, backend = 'wasm'): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${suite.service.origin}/?backend=${backend}`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#key', suite.service.key);
    await page.check('#masks');
    return page;
  }

  async function runOnce(page: Page, inBrowser: boolean): Promise<Raw> {
    await page.setChecked('#browser-vision', inBrowser);
    // A previous run's "Done" must not satisfy the wait below.
    await page.evaluate("document.getElementById('status').textContent = ''");
    await page.click('#run');
    await page.waitForFunction("document.getElementById('status')?.textContent?.startsWith('Done') || !document.getElementById('error').hidden", null, { timeout: 90_000 });
    expect(await page.locator('#error').isHidden(), await page.textContent('#error') ?? '').toBe(true);
    return JSON.parse((await page.textContent('#raw-json'))!) as Raw;
  }

  it('draws the same boxes and masks as the server run of the same post and image', async () => {
    const context = await newContext();
    const page = await open(context);
    const server = await runOnce(page, false);
    const recognizeBodies: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/recognize')) recognizeBodies.push(r.postData() ?? '');
    });
    const local = await runOnce(page, true);
    // The API was asked for recognition only.
    expect(recognizeBodies).toHaveLength(1);
    expect(recognizeBodies[0]).toContain('"vision":"none"');
    expect(local.browser?.backend).toBe('wasm');
    expect(await page.locator('#figure').getAttribute('data-backend')).toBe('wasm');
    expect(await page.textContent('#backend')).toContain('WASM');

    const boxed = server.entities.filter((e) => e.box);
    expect(boxed.length).toBeGreaterThan(0);
    expectSameVision(local, server);
    await page.screenshot({ path: join(SHOTS, 'demo-browser-vision.png') });
    const figure = page.locator('#figure');
    expect(Number(await figure.getAttribute('data-boxes'))).toBe(boxed.length);
    expect(Number(await figure.getAttribute('data-masks'))).toBe(server.entities.filter((e) => e.mask).length);
    // The page ran the stages itself: its timings name them.
    expect(Object.keys(local.browser!.timings_ms)).toEqual(expect.arrayContaining(['entail', 'ground', 'segment']));
    expect(Object.keys(local.timings_ms).filter((k) => /entail|ground|segment/.test(k))).toEqual([]);
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('fetches each model file once, then takes it from the Cache API after a reload', async () => {
    const context = await newContext();
    const page = await open(context);
    const files: string[] = [];
    context.on('request', (r) => {
      if (/\/v1\/models\/[^/]+\/files\//.test(r.url())) files.push(new URL(r.url()).pathname);
    });
    const manifest = await (await fetch(`${suite.service.origin}/v1/vision/manifest`, { headers: { authorization: `Bearer ${suite.service.key}` } })).json() as { files: Record<string, { url: string }> };
    await runOnce(page, true);
    expect([...files].sort()).toEqual(Object.values(manifest.files).map((f) => f.url).sort());
    files.length = 0;
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#key', suite.service.key);
    await page.check('#masks');
    const again = await runOnce(page, true);
    expect(files).toEqual([]);
    expect(again.entities.some((e) => e.box)).toBe(true);
    expect(await page.evaluate("caches.open('gmner-models-v1').then((c) => c.keys()).then((k) => k.length)")).toBe(Object.keys(manifest.files).length);
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('on WebGPU (Chromium\'s software adapter) draws the same boxes and masks too, where an adapter is given', async (ctx) => {
    const gpu = await launchChromium({ webgpu: true });
    try {
      const context = await newContext(gpu);
      const page = await open(context, 'webgpu');
      const adapter = await page.evaluate('navigator.gpu ? navigator.gpu.requestAdapter().then((a) => !!a) : false');
      if (!adapter || !(await page.evaluate("'Suspending' in WebAssembly"))) {
        console.warn('[browser-vision] WebGPU test skipped: no adapter (or no JSPI) in this Chromium with', WEBGPU_FLAGS.join(' '));
        return ctx.skip();
      }
      const server = await runOnce(page, false);
      const local = await runOnce(page, true);
      expect(local.browser?.backend).toBe('webgpu');
      expect(await page.textContent('#backend')).toContain('WebGPU');
      expectSameVision(local, server);
      expect(external).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await gpu.close();
    }
  }, 240_000);
});
