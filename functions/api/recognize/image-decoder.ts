/**
 * The image decoder of this Worker: the codec .wasm files arrive as precompiled WebAssembly.Module
 * imports (Workers refuse to compile wasm at run time). Each codec is instantiated on its first
 * use, once per isolate; a failed start is retried by the next request (shared/image/decode.ts).
 */
import JPEG_DEC from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import PNG from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import WEBP_DEC from '@jsquash/webp/codec/dec/webp_dec.wasm';
import { createDecoder } from '../../../shared/image/decode';
import type { ImageDecoder } from '../../../shared/image/types';

let decoder: ImageDecoder | undefined;

export function imageDecoder(): ImageDecoder {
  return (decoder ??= createDecoder({ jpeg: JPEG_DEC, png: PNG, webp: WEBP_DEC }));
}
