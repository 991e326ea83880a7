// The bundlers used here (wrangler, vitest plugin) import a .wasm file as a precompiled WebAssembly.Module.
declare module 'onnxruntime-web/ort-wasm-simd-threaded.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
