/**
 * One Chromium test suite's shared set-up: the local service (wrangler dev, recorded LLM, fixtures) and a
 * headless Chromium, started once before the suite's tests and closed after them; requests that would leave
 * the machine and page errors are collected for the tests to assert on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium';
import { ROOT, startService, type Service } from './service';

/** Where screenshots go: docs/ with GMNER_SCREENSHOTS=docs (the README's pictures), else .tmp/screenshots. */
export const SHOTS = join(ROOT, process.env.GMNER_SCREENSHOTS === 'docs' ? 'docs' : '.tmp/screenshots');

export interface ChromiumSuite {
  /** Set by the time the suite's tests (and later beforeAll hooks) run. */
  service: Service;
  browser: Browser;
  external: string[];
  pageErrors: string[];
}

export function chromiumSuite(): ChromiumSuite {
  const suite = { external: [], pageErrors: [] } as unknown as ChromiumSuite;
  beforeAll(async () => {
    suite.service = await startService();
    suite.browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.service?.close();
  });
  return suite;
}
