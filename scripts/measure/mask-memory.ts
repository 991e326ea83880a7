/**
 * Peak memory of turning one SAM low-res mask into the answer's RLE at a large original size
 * (issue 11, item 8). Prints RSS growth from before the call to the peak (VmHWM, reset first through
 * /proc/self/clear_refs), time, area and the RLE's hash.
 * - `old`: the full-size path (upscaleLowResMask -> binarize -> rleEncode: a float and a byte per
 *   original pixel); `new`: lowResMaskToRle (RLE written while resizing). Same input (a blob of
 *   low-res logits), so the same RLE is expected.
 * - `stage`: the whole SAM stage (shared/stages/segment-sam.ts of the tree at ROOT, default this one)
 *   over onnxruntime-web in Node with the fixture models (official-export contract): a 1024 x 768
 *   working image, one box, masks asked at WIDTH x HEIGHT, as after a platform downscale. Models are
 *   loaded and run once at the working size first, so the growth is the large answer's alone.
 *
 *   npx tsx scripts/measure/mask-memory.ts new|old|stage [WIDTH=8000] [HEIGHT=6000] [ROOT]
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rleEncode } from '../../shared/vision/rle';
import { binarize, lowResMaskToRle, upscaleLowResMask } from '../../shared/vision/sam-masks';
import { samResizedSize } from '../../shared/vision/sam-transform';

const [path = 'new', w = '8000', h = '6000', root = resolve(import.meta.dirname, '../..')] = process.argv.slice(2);
const ROOT = resolve(root);
const output = { width: Number(w), height: Number(h) };
const resized = samResizedSize(output.width, output.height); // SAM's working frame for this image
const LOW = { width: 256, height: 256 };

// An off-centre blob with a wavy edge inside the image region of the 256 x 256 low-res square.
const low = new Float32Array(LOW.width * LOW.height);
const sx = (resized.width / 1024) * 256, sy = (resized.height / 1024) * 256;
for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) {
  const dx = (x - sx * 0.45) / (sx * 0.3), dy = (y - sy * 0.55) / (sy * 0.25);
  low[y * 256 + x] = 8 * (1 - Math.hypot(dx, dy)) + Math.sin(x * 0.7) * Math.cos(y * 0.5);
}

const mb = (key: string) => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key))!)![1]) / 1024;

type Result = { mask: { counts: string }; area: number };
let compute: () => Promise<Result> | Result;
if (path === 'old') {
  compute = () => {
    const { bits, area } = binarize(upscaleLowResMask(low, LOW, resized, output));
    return { mask: rleEncode(bits, output.height, output.width), area };
  };
} else if (path === 'new') {
  compute = () => lowResMaskToRle(low, LOW, resized, output);
} else {
  compute = await stageRun();
}

globalThis.gc?.();
try {
  writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
} catch {
  // not Linux, or not allowed: the peak then includes start-up
}
const before = mb('VmRSS');
const t0 = performance.now();
const { mask, area } = await compute();
const ms = performance.now() - t0;
console.log(JSON.stringify({
  path, root: ROOT, width: output.width, height: output.height, rss_before_mb: Math.round(before),
  peak_growth_mb: Math.round(mb('VmHWM') - before), ms: Math.round(ms), area, rle_chars: mask.counts.length,
  rle_sha256: createHash('sha256').update(mask.counts).digest('hex').slice(0, 16),
}));

/** The SAM stage of ROOT with fixture models, warmed up; returns the measured call. */
async function stageRun(): Promise<() => Promise<Result>> {
  const { SamSegment } = await import(`${ROOT}/shared/stages/segment-sam.ts`);
  // model-access.ts was session.ts in older trees (the old checkout this compares against may be one)
  const { runtimeModelAccess } = await import(`${ROOT}/shared/stages/model-access.ts`).catch(() => import(`${ROOT}/shared/stages/session.ts`));
  const { ModelRuntime } = await import(`${ROOT}/shared/onnx/model-runtime.ts`);
  const { ModelStore } = await import(`${ROOT}/shared/store/model-store.ts`);
  const { budgetFromEnv } = await import(`${ROOT}/shared/onnx/budget.ts`);
  const { nodeOrt } = await import(`${ROOT}/shared/onnx/ort-node.ts`);
  const { fixtureEntries, fixtureOrigin } = await import(`${ROOT}/models/fixtures/index.ts`);
  const { fixtureTokenizers } = await import(`${ROOT}/models/fixtures/vision-tokenizer.ts`);
  const runtime = new ModelRuntime({ set: 'fixtures', entries: await fixtureEntries(), store: new ModelStore({ origin: fixtureOrigin }), provider: nodeOrt, budget: budgetFromEnv(undefined) });
  const stage = new SamSegment(runtimeModelAccess(runtime, fixtureTokenizers), { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 2 });
  const image = { width: 1024, height: 768, data: new Uint8Array(1024 * 768 * 4).fill(128) };
  const box = [{ x1: 200, y1: 150, x2: 700, y2: 600 }];
  await stage.segment(image, 'measure', box, { width: image.width, height: image.height });
  return async () => (await stage.segment(image, 'measure', box, output))[0];
}
