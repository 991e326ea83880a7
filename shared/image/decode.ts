/**
 * JPEG, PNG and WebP to RGBA with the jSquash (Squoosh) codecs. Workers cannot compile wasm at run
 * time, so the caller passes precompiled modules (functions/api/recognize/image-decoder.ts imports the .wasm files).
 *
 * Each codec runs in an instance of our own (Emscripten factories for JPEG and WebP, png-wasm.ts for
 * PNG) rather than jSquash's module-level one, for two reasons: a failed start must be retryable, and
 * a failed decode leaks its input inside the wasm heap (libjpeg's error exit and Rust's throw both
 * unwind past the frees: 30 damaged 2 MB JPEGs grew the heap from 16 to 121 MB), so the instance is
 * dropped after a failure. After a success it is kept: its heap, grown to fit the largest image, is
 * reused, and dropping it was measured to cost more (shared/image/README.md).
 */
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import webpFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import { ProblemError } from '../problems';
import { formatName } from './header';
import { jpegHasEnd } from './jpeg';
import { instantiatePng } from './png-wasm';
import type { ImageDecoder, ImageFormat, RgbaImage } from './types';

export interface WasmModules {
  jpeg: WebAssembly.Module;
  png: WebAssembly.Module;
  webp: WebAssembly.Module;
}

interface Decoded {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

interface Codec {
  run(bytes: Uint8Array): Decoded | null | undefined;
  /** What the codec printed to stderr during the last run: libjpeg says why it failed there. */
  messages: string[];
}

interface EmscriptenCodec {
  decode(bytes: Uint8Array, ...rest: unknown[]): Decoded | null;
}
type Factory = (opts: Record<string, unknown>) => Promise<EmscriptenCodec>;

async function emscripten(factory: Factory, module: WebAssembly.Module, extraArgs: unknown[]): Promise<Codec> {
  const messages: string[] = [];
  const m = await factory({
    noInitialRun: true,
    print: () => undefined,
    printErr: (s: string) => messages.push(s),
    instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
  });
  return { run: (b) => m.decode(b, ...extraArgs), messages };
}

export function createDecoder(modules: WasmModules): ImageDecoder {
  const starters: Record<ImageFormat, () => Promise<Codec>> = {
    // false: do not let mozjpeg apply EXIF orientation; orient.ts does it for every path alike.
    jpeg: () => emscripten(mozjpegFactory as unknown as Factory, modules.jpeg, [false]),
    webp: () => emscripten(webpFactory as unknown as Factory, modules.webp, []),
    png: async () => ({ run: instantiatePng(modules.png), messages: [] }),
  };
  const started: Partial<Record<ImageFormat, Promise<Codec>>> = {};

  const codec = (format: ImageFormat) =>
    (started[format] ??= starters[format]().catch((e) => {
      delete started[format]; // a failed start is retried by the next request
      throw e;
    }));

  return {
    async decode(bytes: Uint8Array, format: ImageFormat): Promise<RgbaImage> {
      const name = formatName(format);
      // libjpeg only warns on a truncated scan and returns grey rows; refuse instead.
      if (format === 'jpeg' && !jpegHasEnd(bytes)) {
        throw new ProblemError('image-invalid', 'The JPEG is truncated or malformed: no end-of-image marker after its scan data.');
      }
      const c = await codec(format);
      c.messages.length = 0;
      let out: Decoded | null | undefined;
      try {
        out = c.run(bytes);
      } catch (e) {
        delete started[format]; // the failure leaked inside this instance's heap; start afresh
        const why = c.messages.at(-1) ?? (format === 'png' ? 'corrupt or truncated data' : 'the decoder failed');
        throw new ProblemError('image-invalid', `The ${name} could not be decoded: ${why}.`, { cause: e });
      }
      if (!out || !out.width || !out.height || out.data.length !== out.width * out.height * 4) {
        throw new ProblemError('image-invalid', `The ${name} could not be decoded${c.messages.length ? `: ${c.messages.at(-1)}` : ''}.`);
      }
      return { width: out.width, height: out.height, data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length) };
    },
  };
}
