/// <reference types="node" />
/**
 * Writes shared/onnx/vendor/ort-wasm-factory.mjs from the installed onnxruntime-web.
 * usage: npx tsx shared/onnx/vendor/regenerate.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { toOrtFactory } from './transform';

const require = createRequire(import.meta.url);
// package.json is not in the package's exports map; the .wasm subpath is, and it sits in dist/.
const pkgDir = require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm').replace(/dist\/[^/]+$/, '');

export function currentFactorySource(): string {
  const version = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')).version as string;
  return toOrtFactory(readFileSync(`${pkgDir}dist/ort.wasm.bundle.min.mjs`, 'utf8'), version);
}

export const FACTORY_PATH = fileURLToPath(new URL('./ort-wasm-factory.mjs', import.meta.url).href);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(FACTORY_PATH, currentFactorySource());
  console.log(`wrote ${FACTORY_PATH}`);
}
