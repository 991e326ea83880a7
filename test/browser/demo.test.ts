/**
 * The demo page (/) and the reference (/docs) in Debian's Chromium, against the whole local service
 * (wrangler dev, recorded LLM, fixture models). Every request that would leave the machine is recorded
 * and failed, so "works offline" is checked, not assumed. With GMNER_SCREENSHOTS=docs the screenshots
 * the README shows are rewritten (docs/demo.png, docs/docs.png); otherwise they go to .tmp/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findChromium, offlineContext } from './support/chromium';
import { SHOTS, chromiumSuite } from './support/suite';

const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn('[browser tests] skipped: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');

interface Answer {
  entities: { box: unknown; mask: unknown }[];
}

/** The `answer` event of an event-stream body. */
function answerOf(sse: string): Answer {
  const frame = sse.split(/\n\n/).find((f) => f.split('\n').includes('event: answer'));
  if (!frame) throw new Error(`no answer event in:\n${sse.slice(0, 500)}`);
  return JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
}

describe.skipIf(!CHROMIUM)('the demo page and /docs in Chromium', () => {
  const suite = chromiumSuite();
  const { external, pageErrors } = suite;
  let context: BrowserContext;

  beforeAll(async () => {
    context = await offlineContext(suite.browser, external);
  });

  async function openDemo(): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${suite.service.origin}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#key', suite.service.key);
    return page;
  }

  it('draws the sample post: one highlight per entity, exactly the answer\'s boxes and masks, with no external request', async () => {
    const page = await openDemo();
    await page.check('#masks');
    const answered = page.waitForResponse((r) => r.url().endsWith('/v1/recognize'));
    await page.click('#run');
    const res = await answered;
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/event-stream');
    await page.waitForFunction("document.getElementById('status')?.textContent?.startsWith('Done')", null, { timeout: 60_000 });
    const answer = answerOf(await res.text());
    const boxes = answer.entities.filter((e) => e.box).length;
    const masks = answer.entities.filter((e) => e.mask).length;
    expect(boxes).toBeGreaterThan(0);
    expect(masks).toBeGreaterThan(0);
    const figure = page.locator('#figure');
    expect(Number(await figure.getAttribute('data-boxes'))).toBe(boxes);
    expect(Number(await figure.getAttribute('data-masks'))).toBe(masks);
    expect(await page.locator('#post mark').count()).toBe(answer.entities.length);
    expect(await page.locator('#post mark').first().getAttribute('title')).toMatch(/entailment: \d\.\d{3}/);
    expect(await page.locator('#timings tr').count()).toBeGreaterThan(3);
    // The masks really are on the canvas: some pixel differs from the sample image alone.
    await page.locator('#post mark').first().hover();
    await page.screenshot({ path: join(SHOTS, 'demo.png') });
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows the problem\'s title and detail for an image that is not one', async () => {
    const page = await openDemo();
    await page.setInputFiles('#file', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG at all') });
    const answered = page.waitForResponse((r) => r.url().endsWith('/v1/recognize'));
    await page.click('#run');
    const res = await answered;
    expect(res.status()).toBeGreaterThanOrEqual(400);
    const problem = (await res.json()) as { title: string; detail: string };
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error-title')).toBe(`${problem.title}.`);
    expect(await page.textContent('#error-detail')).toContain(problem.detail);
    expect(await page.locator('#post mark').count()).toBe(0);
    expect(external).toEqual([]);
    await page.close();
  }, 60_000);

  it('renders /docs from the bundled Scalar with no font, script or call from outside', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const scripts: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(r.url());
    });
    await page.goto(`${suite.service.origin}/docs`);
    await page.getByRole('heading', { name: 'GMNER edge API' }).waitFor({ timeout: 60_000 });
    await page.getByText('/healthz').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(scripts).toEqual([`${suite.service.origin}/docs/scalar.js`]);
    await page.screenshot({ path: join(SHOTS, 'docs.png') });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);
});
