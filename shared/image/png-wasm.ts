/**
 * A private instance of jSquash's PNG decoder (squoosh_png_bg.wasm, Rust via wasm-bindgen).
 *
 * jSquash's own glue keeps one instance per isolate and cannot start another. A Rust error unwinds
 * out of the wasm without freeing anything, so every failed decode leaks its input (and any output
 * buffer) into that heap for good: 40 damaged 2 MB PNGs grew it from 2 to 128 MB. With an instance
 * of our own, decode.ts can drop it after a failure and let the collector take the heap.
 *
 * Only the 8-bit decode path is wired: its imports are found by name pattern, so the content hash
 * wasm-bindgen appends to import names (it changes between releases) does not matter.
 */

export interface PngDecoded {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

interface PngExports {
  memory: WebAssembly.Memory;
  decode(ptr: number, len: number): number;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
}

type Imports = Record<string, Record<string, (...args: number[]) => unknown>>;

export function instantiatePng(module: WebAssembly.Module): (bytes: Uint8Array) => PngDecoded {
  let exports: PngExports;
  let result: PngDecoded | undefined;
  const handlers: Array<[RegExp, (...args: number[]) => unknown]> = [
    // ImageData::new_with_owned_u8_clamped_array_and_sh(ptr, len, width, height): the pixels.
    [/^__wbg_newwithownedu8clampedarrayandsh_/, (ptr, len, width, height) => {
      result = { data: new Uint8ClampedArray(exports.memory.buffer, ptr >>> 0, len >>> 0).slice(), width: width >>> 0, height: height >>> 0 };
      exports.__wbindgen_free(ptr, len, 1);
      return 0; // the handle decode() returns; the result is kept here instead
    }],
    [/^__wbindgen_throw$/, (ptr, len) => {
      throw new Error(new TextDecoder().decode(new Uint8Array(exports.memory.buffer, ptr >>> 0, len >>> 0)));
    }],
    [/^__wbindgen_object_drop_ref$/, () => undefined],
  ];
  const imports: Imports = {};
  for (const { module: ns, name } of WebAssembly.Module.imports(module)) {
    const handler = handlers.find(([pattern]) => pattern.test(name))?.[1] ?? (() => {
      throw new Error(`PNG decoder called an unwired import: ${name}`);
    });
    (imports[ns] ??= {})[name] = handler;
  }
  exports = new WebAssembly.Instance(module, imports).exports as unknown as PngExports;

  return (bytes) => {
    result = undefined;
    const ptr = exports.__wbindgen_malloc(bytes.length, 1);
    new Uint8Array(exports.memory.buffer).set(bytes, ptr);
    exports.decode(ptr, bytes.length); // takes ownership of the input buffer
    if (!result) throw new Error('the PNG decoder returned no image');
    return result;
  };
}
