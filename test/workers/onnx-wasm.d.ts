// A wasm module that is not onnxruntime's, used to make ORT's initialisation fail for real (onnx-recovery test).
declare module '@jsquash/png/codec/pkg/squoosh_png_bg.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
