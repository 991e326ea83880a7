/**
 * The `lookalikes` model set (MODEL_SET=lookalikes): real-size random-weight graphs with the exact architectures of
 * the default models, built offline from ../shared/lookalike-models by `npm run models -- lookalikes` (inflated,
 * adapted to the default set's contracts, sharded where one isolate's 128 MB does not hold them). Every role has
 * the default set's input/output names and shapes, so the real stage code runs on them unchanged; their outputs
 * mean nothing. Hashes, sizes, measured peaks and shard plans are in lookalikes.pins.json (generation is
 * deterministic, so they are stable); the contracts are here.
 */
import type { MemoryNeed, ModelEntry, ModelFile } from '../shared/onnx/manifest-types';
import type { ShardPlan } from '../shared/onnx/shard-plan';
import type { LogisticCalibration } from '../shared/vision/calibration';
import pinsJson from './lookalikes.pins.json';
import { MODELS } from './manifest';
import { clipText, OWLVIT_IMAGE } from './preprocessing';

export interface LookalikePin { file: ModelFile; memory: MemoryNeed; session?: ModelEntry['session']; shards?: ShardPlan }

const pins = pinsJson as unknown as Record<string, LookalikePin>;

type Contract = Omit<ModelEntry, 'set' | 'files' | 'memory' | 'session' | 'shards'> & { key: string };

const like = (defaultId: string): Pick<ModelEntry, 'inputs' | 'outputs' | 'preprocessing'> => {
  const e = MODELS.find((m) => m.id === defaultId);
  if (!e) throw new Error(`the default set has no ${defaultId}`);
  return { inputs: e.inputs, outputs: e.outputs, preprocessing: e.preprocessing };
};

const P = 576;
const CONTRACTS: Contract[] = [
  { id: 'lookalike-mobileclip-s0-vision', key: 'lookalikes/mobileclip-s0-vision.onnx', title: 'MobileCLIP-S0 image tower look-alike (timm fastvit_mci0, int8)', role: 'entail.vision', ...like('mobileclip-s0-vision') },
  { id: 'lookalike-clip-b32-text', key: 'lookalikes/clip-b32-text.onnx', title: 'CLIP-B/32 text tower look-alike (int8), stand-in for the MobileCLIP-S0 text tower', role: 'entail.text', ...like('mobileclip-s0-text') },
  {
    id: 'lookalike-owlvit-b32-image', key: 'lookalikes/owlvit-b32-image.onnx', title: 'OWL-ViT B/32 @768 look-alike, image part (vision tower, class and box heads)', role: 'ground.image',
    inputs: [{ name: 'pixel_values', type: 'float32', shape: [1, 3, 768, 768], example: { fill: 'rand' } }],
    outputs: [
      { name: 'image_class_embeds', type: 'float32', shape: [1, P, 512] },
      { name: 'logit_shift', type: 'float32', shape: [1, P, 1] },
      { name: 'logit_scale', type: 'float32', shape: [1, P, 1] },
      { name: 'pred_boxes', type: 'float32', shape: [1, P, 4] },
    ],
    preprocessing: OWLVIT_IMAGE,
  },
  {
    id: 'lookalike-owlvit-b32-query', key: 'lookalikes/owlvit-b32-query.onnx', title: 'OWL-ViT B/32 look-alike, query part (text tower over 16-token queries)', role: 'ground.query',
    inputs: [
      { name: 'input_ids', type: 'int64', shape: ['num_queries', 16], example: { dims: { num_queries: 2 }, fill: 5 } },
      { name: 'attention_mask', type: 'int64', shape: ['num_queries', 16], example: { dims: { num_queries: 2 }, fill: 1 } },
    ],
    outputs: [{ name: 'query_embeds', type: 'float32', shape: ['num_queries', 512] }],
    preprocessing: clipText(16, 0),
  },
  { id: 'lookalike-mobilesam-encoder', key: 'lookalikes/mobilesam-encoder.onnx', title: 'MobileSAM image encoder look-alike (timm tiny_vit_5m at 1024, Acly contract adapter)', role: 'segment.encoder', ...like('mobilesam-encoder') },
  { id: 'lookalike-sam-decoder-a', key: 'lookalikes/sam-decoder-a.onnx', title: 'SAM prompt encoder + mask decoder look-alike (int8, contract A adapter)', role: 'segment.decoder', ...like('sam-decoder-a') },
];

export const LOOKALIKES: ModelEntry[] = CONTRACTS.map(({ key, ...c }) => {
  const pin = pins[c.id];
  return {
    ...c,
    set: 'lookalikes',
    files: [pin?.file ?? { key, bytes: null, sha256: null, origin: null }],
    memory: pin?.memory ?? { peakWasmBytes: 0, basis: 'not built yet: npm run models -- lookalikes --pin' },
    ...(pin?.session ? { session: pin.session } : {}),
    ...(pin?.shards ? { shards: pin.shards } : {}),
    license: 'generated (random weights); architectures after the published models',
    notes: 'Outputs mean nothing: for memory, latency and sharding on real-size graphs. Built by npm run models -- lookalikes.',
  };
});

/**
 * The set's entailment calibration: the gate wide open. Random weights carry no signal, so under the default
 * calibration every entity is ungroundable (or groundable) by chance and the ground and segment graphs hardly ever
 * run; with threshold 0 every entity goes on to OWL-ViT and SAM, so the real-size ground and segment graphs run on
 * every request. The scores stay sigmoid(margin) of the random towers: they, the boxes and the masks mean nothing.
 * It reaches the entail stage the way a fitted one does (the set's `calibration`, models/runtime-from-env.ts).
 */
export const LOOKALIKE_CALIBRATION: LogisticCalibration = {
  weights: { similarity: 0, margin: 1 },
  bias: 0,
  threshold: 0,
  source: 'lookalike-open-gate',
};
