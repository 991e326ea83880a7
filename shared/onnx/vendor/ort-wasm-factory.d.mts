import type * as ort from 'onnxruntime-web/wasm';

/** A fresh, independent copy of onnxruntime-web's wasm build; `webAssembly` stands in for the global inside it. */
export function createOrtModule(webAssembly: typeof WebAssembly): typeof ort;
