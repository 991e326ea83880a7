// wrangler, Miniflare and the vitest plugin turn a .wasm import into a compiled module (CompiledWasm rule).
declare module '*.wasm' {
  const compiled: WebAssembly.Module;
  export default compiled;
}
