/**
 * One fresh onnxruntime-web copy running a precompiled wasm module: CPU (wasm) execution provider, one thread,
 * no proxy worker. Used by both the workerd and the Node provider, which differ only in how they get the module.
 *
 * Workers refuse to compile wasm from bytes at run time, and ORT has no option that takes a WebAssembly.Module.
 * So: a sentinel `wasmBinary` makes ORT use its inlined emscripten glue without fetching
 * anything, and this copy's private `WebAssembly.instantiate` ignores the sentinel and instantiates the module.
 */
import { createOrtModule } from './vendor/ort-wasm-factory.mjs';
import type { OrtInstance } from './ort-types';

export function instantiateOrt(wasmModule: WebAssembly.Module): OrtInstance {
  let memory: WebAssembly.Memory | undefined;
  const real = globalThis.WebAssembly;
  const webAssembly = Object.create(real, {
    instantiate: {
      value: async (_sentinel: unknown, imports: WebAssembly.Imports = {}) => {
        // the threaded build imports its (shared) memory; remember it to report the heap size
        for (const ns of Object.values(imports)) {
          for (const v of Object.values(ns as Record<string, unknown>)) if (v instanceof real.Memory) memory = v;
        }
        const instance = await real.instantiate(wasmModule, imports);
        for (const v of Object.values(instance.exports)) if (!memory && v instanceof real.Memory) memory = v;
        return { instance, module: wasmModule };
      },
    },
  }) as typeof WebAssembly;

  const ort = createOrtModule(webAssembly);
  ort.env.wasm.wasmBinary = new Uint8Array(8); // the sentinel: non-empty, never read
  ort.env.wasm.numThreads = 1; // no Web Workers or pthreads in workerd
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return { ort, executionProviders: ['wasm'], heapBytes: () => memory?.buffer.byteLength ?? null };
}
