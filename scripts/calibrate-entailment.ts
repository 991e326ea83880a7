/// <reference types="node" />
/**
 * Fits the entailment calibration (shared/vision/calibration.ts) on a labelled set and writes it as JSON.
 * A model set uses it once its definition carries it (`calibration` in models/runtime-from-env.ts, as the
 * look-alike set carries its own); the stages then decide with it. Needs the Twitter-GMNER images, which
 * are not redistributed.
 *
 *   npx tsx scripts/calibrate-entailment.ts --images DIR [--data DIR] [--expansions gold|pred]
 *       [--threshold f1|<p>] [--limit N] [--out models/calibration/entailment.json] [--dry-run]
 *
 *   --images       folder with <image id>.jpg (Twitter-GMNER's images)
 *   --data         the research data folder (default ../shared/research/data)
 *   --expansions   gold: the gold file's descriptions (default); pred: RiVEG's recorded ChatGPT
 *                  expansions (OFAVE_to_OFAREC_augment.txt) joined to the gold labels
 *   --threshold    f1: the probability cut with the best groundable F1 on this set (default); or a number
 *   --limit        use the first N images only (a smoke run)
 *   Models: MODEL_SET and the model-store variables, as for the Worker (models/runtime-from-env.ts).
 *
 * Labels are RiVEG's gold file, i.e. the Twitter-GMNER *test* split: a calibration fitted here and
 * then scored on the same split is optimistic. Until this has been run on real data, the stages use
 * DEFAULT_ENTAIL_CALIBRATION (sigmoid of the margin over the generic negatives, threshold 0.5).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDecoder } from '../shared/image/decode';
import { readHeader } from '../shared/image/header';
import { applyOrientation } from '../shared/image/orient';
import { gmnerPaths, resolveDataDir, REPO_ROOT } from '../shared/data/node-load';
import { nodeOrt } from '../shared/onnx/ort-node';
import { visionConfigFromEnv } from '../shared/stages/config';
import { MobileClipEntail } from '../shared/stages/entail-mobileclip';
import { runtimeModelAccess } from '../shared/stages/model-access';
import { byImage, calibrationItems } from '../shared/vision/calibration-set';
import { fitCalibration, type LabelledFeatures } from '../shared/vision/logistic-fit';
import { modelLayer } from '../models/model-layer';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string' },
    data: { type: 'string' },
    expansions: { type: 'string', default: 'gold' },
    threshold: { type: 'string', default: 'f1' },
    limit: { type: 'string' },
    out: { type: 'string', default: 'models/calibration/entailment.json' },
    'dry-run': { type: 'boolean', default: false },
  },
});

function fail(msg: string): never {
  console.error(`calibrate-entailment: ${msg}`);
  process.exit(2);
}

async function nodeDecoder() {
  const req = createRequire(import.meta.url);
  const wasm = WebAssembly as unknown as { compile(b: Uint8Array): Promise<WebAssembly.Module> };
  const compile = (spec: string) => wasm.compile(readFileSync(req.resolve(spec)));
  const [jpeg, png, webp] = await Promise.all([
    compile('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
    compile('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'),
    compile('@jsquash/webp/codec/dec/webp_dec.wasm'),
  ]);
  return createDecoder({ jpeg, png, webp });
}

async function main() {
  if (!args.images) fail('--images DIR is required (the Twitter-GMNER images; they are not part of the research data)');
  const imagesDir = resolve(args.images);
  const paths = gmnerPaths(resolveDataDir(args.data));
  if (!existsSync(paths.rivegGold)) fail(`no gold file at ${paths.rivegGold} (--data)`);
  if (args.expansions !== 'gold' && args.expansions !== 'pred') fail('--expansions must be gold or pred');
  const threshold = args.threshold === 'f1' ? 'f1' : Number(args.threshold);
  if (threshold !== 'f1' && !(threshold > 0 && threshold < 1)) fail('--threshold must be f1 or a probability');

  const items = calibrationItems(readFileSync(paths.rivegGold, 'utf8'), args.expansions === 'pred' ? readFileSync(paths.rivegPred, 'utf8') : undefined);
  let groups = [...byImage(items)];
  if (args.limit) groups = groups.slice(0, Number(args.limit));

  const env = process.env as Record<string, unknown>;
  const layer = modelLayer(nodeOrt);
  const entries = await layer.entries(env);
  const config = visionConfigFromEnv(env, { entries }).config.entail;
  if (!config) fail('no entail models in the configured model set (MODEL_SET, ENTAIL_VISION_MODEL, ENTAIL_TEXT_MODEL)');
  const stage = new MobileClipEntail(runtimeModelAccess(layer.runtime(env), layer.tokenizers(env)), { ...config, cacheSize: 1 });
  const decoder = await nodeDecoder();

  const data: LabelledFeatures[] = [];
  let missing = 0;
  for (const [n, [imageId, list]] of groups.entries()) {
    const file = join(imagesDir, `${imageId}.jpg`);
    if (!existsSync(file)) {
      missing++;
      continue;
    }
    const bytes = new Uint8Array(readFileSync(file));
    const header = readHeader(bytes);
    const image = applyOrientation(await decoder.decode(bytes, header.format), header.orientation);
    const features = await stage.features(image, imageId, list.map((i) => i.expression));
    features.forEach((f, i) => data.push({ features: f, groundable: list[i].groundable }));
    if ((n + 1) % 100 === 0) console.error(`${n + 1}/${groups.length} images`);
  }
  if (missing) console.error(`${missing} of ${groups.length} images were not in ${imagesDir}; their entities are left out`);
  if (data.length === 0) fail('no labelled entity had its image');

  const cal = fitCalibration(data, `RiVEG gold (Twitter-GMNER test), expansions=${args.expansions}, MODEL_SET=${String(env.MODEL_SET ?? 'default')}`, new Date().toISOString().slice(0, 10), { threshold });
  const out = { models: { vision: config.visionModel, text: config.textModel }, ...cal };
  console.log(JSON.stringify(out, null, 2));
  if (!args['dry-run']) {
    const target = resolve(REPO_ROOT, args.out!);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
    console.error(`wrote ${target}`);
  }
}

await main();
