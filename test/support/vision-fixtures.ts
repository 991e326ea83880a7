/**
 * The vision stages' test bench: the real model runtime (onnxruntime-web in workerd) over the
 * generated fixture set, plus entries the manifest does not have yet (a transformers.js SAM encoder,
 * an OWL-ViT entry with letterbox preprocessing), and per-model run counters for the
 * once-per-image and batching checks.
 */
import { budgetFromEnv } from '../../shared/onnx/budget';
import type { ModelEntry } from '../../shared/onnx/manifest-types';
import { ModelRuntime } from '../../shared/onnx/model-runtime';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { ModelStore } from '../../shared/store/model-store';
import type { OriginSource } from '../../shared/store/origin';
import { sha256Hex } from '../../shared/store/sha256';
import { runtimeModelAccess, type ModelAccess } from '../../shared/stages/model-access';
import { buildFixture, fixtureEntries, fixtureOrigin } from '../../models/fixtures/index';
import { SAM_ENCODER_B_CONTRACT, SAM_ENCODER_B_ID, buildSamEncoderB } from '../../models/fixtures/vision-sam-encoder-b';
import { fixtureTokenizers } from '../../models/fixtures/vision-tokenizer';

/** An OWL-ViT image part with letterbox preprocessing (pairs with the fixture set's `owlvit-b32-query`). */
export const OWL_LETTERBOX_ID = 'owlvit-b32-image-letterbox';

const EXTRA_BUILDERS: Record<string, () => Uint8Array> = {
  [SAM_ENCODER_B_ID]: buildSamEncoderB,
  [OWL_LETTERBOX_ID]: () => buildFixture('owlvit-b32-image'),
};

async function extraEntries(base: ModelEntry[]): Promise<ModelEntry[]> {
  const owl = base.find((e) => e.id === 'owlvit-b32-image')!;
  if (owl.preprocessing.kind !== 'image') throw new Error('owlvit-b32-image fixture has no image preprocessing');
  const encoderBytes = buildSamEncoderB();
  const owlBytes = buildFixture('owlvit-b32-image');
  const fixtureFile = async (id: string, bytes: Uint8Array) => ({ key: `fixtures/${id}.onnx`, bytes: bytes.length, sha256: await sha256Hex(bytes), origin: null });
  return [
    {
      ...SAM_ENCODER_B_CONTRACT, id: SAM_ENCODER_B_ID, set: 'fixtures', title: 'Fixture for a transformers.js SAM vision encoder',
      files: [await fixtureFile(SAM_ENCODER_B_ID, encoderBytes)], memory: { peakWasmBytes: 0, basis: 'fixture' },
    },
    {
      ...owl, id: OWL_LETTERBOX_ID, title: 'Fixture OWL-ViT image part with letterbox preprocessing',
      files: [await fixtureFile(OWL_LETTERBOX_ID, owlBytes)],
      preprocessing: { ...owl.preprocessing, resize: { mode: 'longest-edge', size: 768, resample: 'bicubic' }, pad: { width: 768, height: 768, value: 0, anchor: 'top-left' } },
    },
  ];
}

const origin: OriginSource = {
  description: 'fixture generator + vision test fixtures',
  locate: (file) => (file.key.startsWith('fixtures/') ? `generated:${file.key}` : null),
  fetch: async (entry, file) => (EXTRA_BUILDERS[entry.id] ? EXTRA_BUILDERS[entry.id]() : fixtureOrigin.fetch(entry, file)),
};

export interface VisionBench {
  runtime: ModelRuntime;
  models: ModelAccess;
  entries: ModelEntry[];
  /** model id -> number of runs so far */
  runs: Map<string, number>;
  /** model id -> input dims of its latest run */
  lastDims: Map<string, Record<string, readonly number[]>>;
}

export async function visionBench(): Promise<VisionBench> {
  const base = await fixtureEntries();
  const entries = [...base, ...(await extraEntries(base))];
  const runtime = new ModelRuntime({ set: 'fixtures', entries, store: new ModelStore({ origin }), provider: workerdOrt, budget: budgetFromEnv(undefined) });
  const inner = runtimeModelAccess(runtime, fixtureTokenizers);
  const runs = new Map<string, number>();
  const lastDims = new Map<string, Record<string, readonly number[]>>();
  const models: ModelAccess = {
    tokenizer: (id) => inner.tokenizer(id),
    async model(id) {
      const h = await inner.model(id);
      return {
        ...h,
        run: (feeds) => {
          runs.set(id, (runs.get(id) ?? 0) + 1);
          lastDims.set(id, Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dims])));
          return h.run(feeds);
        },
      };
    },
  };
  return { runtime, models, entries, runs, lastDims };
}

/**
 * What the MobileCLIP fixture towers compute, in plain JS: text_embeds = bag of the 77 ids mod 512
 * (padded with id 0), image_embeds[j] = mean of channel j mod 3. Returns 100 x cos of the mean of the
 * normalized template embeddings with the image, i.e. the `similarity` feature.
 */
export function fixtureSimilarity(ids: readonly number[][], channelMeans: readonly [number, number, number]): number {
  const norm = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
  const bags = ids.map((row) => {
    const h = new Array(512).fill(0);
    for (let i = 0; i < 77; i++) h[(row[i] ?? 0) % 512]++;
    return norm(h);
  });
  const mean = norm(bags[0].map((_, j) => bags.reduce((s, b) => s + b[j], 0)));
  const img = norm(Array.from({ length: 512 }, (_, j) => channelMeans[j % 3]));
  return 100 * mean.reduce((s, v, j) => s + v * img[j], 0);
}
