/// <reference types="node" />
/**
 * ORT provider for Node (the `models` command, the bench, Node hosts): the same factory build as in workerd,
 * with the module compiled once from the package's .wasm file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { instantiateOrt } from './ort-instance';
import type { OrtProvider } from './ort-types';

let compiled: Promise<WebAssembly.Module> | undefined;

function compileOrtWasm(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
  // workers-types leave out WebAssembly.compile (Workers forbid it); Node has it
  const wasm = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
  const p = readFile(path).then((bytes) => wasm.compile(bytes));
  p.catch(() => { compiled = undefined; }); // a failed read is retried by the next instantiate
  return p;
}

export const nodeOrt: OrtProvider = {
  name: 'onnxruntime-web wasm (Node)',
  instantiate: async () => instantiateOrt(await (compiled ??= compileOrtWasm())),
};
