/**
 * Builds the static assets wrangler serves (wrangler.toml [assets] -> web/dist): the demo page's
 * script bundled by esbuild (wrangler's own copy, so no new tool), its HTML and CSS, the generated
 * sample images, and Scalar's standalone bundle for /docs from the pinned npm package (no CDN).
 * Run by wrangler before `dev` and `deploy` ([build] in wrangler.toml) and by the test setup.
 *
 *   npx tsx web/build.ts [--quiet]
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_IMAGES } from './sample-images';

const WEB = dirname(fileURLToPath(import.meta.url));
export const DIST = join(WEB, 'dist');
/** Where /docs loads Scalar from (functions/api/routes/docs.ts points at it). */
export const SCALAR_ASSET = 'docs/scalar.js';
/** The wasm build and the JSPI (WebGPU) build, each under the 25 MiB a static asset may be. */
export const ORT_WASM = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.jspi.wasm'];

export async function buildWeb(): Promise<Record<string, number>> {
  mkdirSync(join(DIST, 'samples'), { recursive: true });
  mkdirSync(join(DIST, 'docs'), { recursive: true });
  rmSync(join(DIST, 'chunks'), { recursive: true, force: true });
  await build({
    // The vision code (ORT, stages) is a chunk the page imports only when "run vision in this browser" is on.
    entryPoints: { app: join(WEB, 'src/main.ts') },
    outdir: DIST,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(join(WEB, 'index.html'), join(DIST, 'index.html'));
  copyFileSync(join(WEB, 'style.css'), join(DIST, 'style.css'));
  for (const [name, draw] of Object.entries(SAMPLE_IMAGES)) writeFileSync(join(DIST, 'samples', name), draw());
  // The package exports no path to its browser build, so read it from the installed copy.
  const scalar = join(WEB, '../node_modules/@scalar/api-reference/dist/browser/standalone.js');
  copyFileSync(scalar, join(DIST, SCALAR_ASSET));
  // onnxruntime-web's wasm binaries for the page (shared/onnx/ort-browser.ts says why these two builds).
  mkdirSync(join(DIST, 'ort'), { recursive: true });
  for (const f of ORT_WASM) copyFileSync(join(WEB, '../node_modules/onnxruntime-web/dist', f), join(DIST, 'ort', f));
  const size = (f: string) => statSync(join(DIST, f)).size;
  const chunks = readdirSync(join(DIST, 'chunks')).reduce((n, f) => n + size(join('chunks', f)), 0);
  return { 'app.js': size('app.js'), 'chunks/*.js (vision, lazy)': chunks, ...Object.fromEntries(ORT_WASM.map((f) => [`ort/${f}`, size(join('ort', f))])), 'index.html': size('index.html'), 'style.css': size('style.css'), [SCALAR_ASSET]: size(SCALAR_ASSET) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = await buildWeb();
  if (!process.argv.includes('--quiet')) console.log(`web/dist: ${Object.entries(sizes).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ')}`);
}
