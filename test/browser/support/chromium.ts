/**
 * Debian's Chromium for the browser tests (.ci/run installs it with apt-get when missing).
 * CHROMIUM_PATH names another binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export function findChromium(): string | null {
  const named = process.env.CHROMIUM_PATH;
  if (named) return existsSync(named) ? named : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** A request the page must not make: anything that leaves this machine. */
export function isExternal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return false;
  return !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** Chromium's software WebGPU adapter (SwiftShader): slow, but the same WebGPU code path as a real GPU. */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/**
 * Starts headless Chromium (`findChromium()`'s binary); `webgpu` adds the software adapter's flags.
 * --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
 */
export function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', ...(opts.webgpu ? WEBGPU_FLAGS : [])] });
}

/**
 * A page context the size of the README's screenshots in which every request that would leave the machine is
 * recorded in `external` and failed, so "works offline" is checked, not assumed.
 */
export async function offlineContext(browser: Browser, external: string[]): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, deviceScaleFactor: 1 });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (!isExternal(url)) return route.continue();
    external.push(url);
    return route.abort('blockedbyclient');
  });
  return context;
}
