/**
 * ORT provider for Cloudflare Workers / workerd. wrangler, miniflare and the vitest plugin turn a `.wasm` import
 * into a WebAssembly.Module compiled at upload time (the default CompiledWasm rule), the only way to get one there.
 * No Worker globals: importing this module is cheap, ORT starts on the first session.
 */
import ortWasmModule from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { instantiateOrt } from './ort-instance';
import type { OrtProvider } from './ort-types';

export const workerdOrt: OrtProvider = {
  name: 'onnxruntime-web wasm (workerd, precompiled module)',
  instantiate: async () => instantiateOrt(ortWasmModule),
};
