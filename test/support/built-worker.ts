/**
 * Builds the api Worker exactly as `wrangler deploy` would (dry run) and starts the bundle in a fresh
 * workerd through the Miniflare API: what production runs, not the test runner's module graph.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';

export interface BuiltWorker {
  outdir: string;
  /** wrangler's own "Total Upload: X KiB / gzip: Y KiB" line. */
  uploadLine: string;
}

export function buildWorker(): BuiltWorker {
  const outdir = mkdtempSync(join(tmpdir(), 'gmner-build-'));
  const out = execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', FORCE_COLOR: '0' },
  });
  const uploadLine = out.split('\n').find((l) => l.includes('Total Upload')) ?? '';
  return { outdir, uploadLine: uploadLine.trim() };
}

export function startBuilt(outdir: string, bindings: Record<string, string> = {}): Miniflare {
  // The bundle keeps onnxruntime's unused dynamic import(url) paths, so list the modules rather than
  // letting Miniflare walk the graph (ERR_MODULE_DYNAMIC_SPEC).
  const files = readdirSync(outdir).filter((f) => /\.(js|mjs|wasm|onnx|bin)$/.test(f));
  const modules = files
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : /\.(js|mjs)$/.test(f) ? 'ESModule' : 'Data', path: join(outdir, f) }) as const)
    .sort((a, b) => (a.path.endsWith('index.js') ? -1 : b.path.endsWith('index.js') ? 1 : 0));
  // Miniflare 5 takes a new option shape; its converter accepts the documented v4 one.
  return new Miniflare(convertV4MiniflareOptions({
    modulesRoot: outdir,
    modules: modules as never,
    compatibilityDate: '2026-07-20',
    bindings,
    r2Buckets: ['MODELS'],
  }));
}
