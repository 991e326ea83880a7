/**
 * What a JPEG whose first-found SOF lies costs intake (issue 11, item 1): a decoy 100x100 SOF that a
 * length-following header reader finds (fill byte + APP2, test/support/images.ts withDecoySof) in front
 * of a real 9000x6000 frame. Runs intakeImage of the tree at ROOT (default: this one) in Node with the
 * production decoder (shared/image/decode.ts, jSquash wasm) and reports the problem, whether the
 * decoder ran, and RSS growth (peak VmHWM minus RSS before).
 *
 *   npx tsx scripts/measure/lying-jpeg.ts [ROOT]      e.g. ROOT=a checkout of the code before the fix
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode';

const ROOT = resolve(process.argv[2] ?? resolve(import.meta.dirname, '../..'));
const require = createRequire(import.meta.url);
// workers-types (this tsconfig) leave out WebAssembly.compile; Node has it.
const wasm = (p: string) => (WebAssembly as unknown as { compile(b: Uint8Array): Promise<WebAssembly.Module> }).compile(readFileSync(require.resolve(p)));
const status = (key: string) => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key))!)![1]) / 1024;

const { intakeImage, DEFAULT_INTAKE_OPTIONS } = await import(`${ROOT}/shared/image/intake.ts`);
const { createDecoder } = await import(`${ROOT}/shared/image/decode.ts`);
const { withDecoySof, withSofSize } = await import('../../test/support/image-forgery');

await initJpegEncoder({ wasmBinary: readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
const small = new Uint8Array(16 * 16 * 4).fill(200);
const jpeg = new Uint8Array(await encodeJpeg({ data: new Uint8ClampedArray(small), width: 16, height: 16 } as never, { quality: 90, baseline: true, progressive: false } as never));
const lying = withDecoySof(withSofSize(jpeg, 9000, 6000), { width: 100, height: 100 });

const real = createDecoder({
  jpeg: await wasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'), png: await wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'), webp: await wasm('@jsquash/webp/codec/dec/webp_dec.wasm'),
});
let decodes = 0;
const decoder = { decode: (b: Uint8Array, f: string) => (decodes++, real.decode(b, f)) };
// Start the codec on a tiny image first, so the growth below is the big request's alone.
await real.decode(jpeg, 'jpeg');
globalThis.gc?.();
const before = status('VmRSS');
const t0 = performance.now();
let outcome: string;
try {
  const r = await intakeImage({ kind: 'bytes', bytes: lying }, DEFAULT_INTAKE_OPTIONS, { decoder });
  outcome = `accepted ${r.image.width}x${r.image.height}`;
} catch (e) {
  const p = e as { kind?: string; status?: number; message: string };
  outcome = `${p.status ?? ''} ${p.kind ?? ''}: ${p.message}`;
}
console.log(JSON.stringify({
  root: ROOT, bytes: lying.length, outcome, decoder_calls: decodes,
  rss_before_mb: Math.round(before), peak_growth_mb: Math.round(status('VmHWM') - before), ms: Math.round(performance.now() - t0),
}, null, 1));
