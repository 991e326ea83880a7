/// <reference types="node" />
/**
 * How each file of the `lookalikes` set is made from a weight-stripped look-alike in ../shared/lookalike-models/stripped:
 * free the batch dimension where the stage batches (scripts/bench/batchable.ts), inflate the weights
 * (models/graph/inflate.ts), give it the default set's contract (models/graph/adapt.ts, or a split for OWL-ViT), and
 * the inputs its memory is measured with (the sizes the stages really use).
 */
import { CLIP_TEXT_RECIPE, makeBatchable, OWLVIT_RECIPE } from '../../scripts/bench/batchable';
import type { TensorData } from '../../shared/onnx/tensors';
import { mobileSamEncoderContract, renameValues, samDecoderContractA, setShapes } from '../graph/adapt';
import { extractModel } from '../graph/extract';
import { inflateModel } from '../graph/inflate';
import { owlSplit } from '../graph/owl-split';
import { tileRows } from '../graph/tile';
import type { OptLevel } from '../graph/measure';
import { decodeModel, type Model } from '../graph/proto';

export interface LookalikeRecipe {
  id: string;
  /** Stripped file under <shared>/stripped/. */
  source: string;
  /** Bucket key of the whole graph; shards get `<key without .onnx>.shard-<i>.onnx`. */
  key: string;
  /** Shape and contract changes before inflation (work on the small stripped graph), on its bytes. */
  prepare?: (stripped: Uint8Array) => Uint8Array;
  /** Contract changes after inflation. */
  adapt?: (model: Model) => Model;
  /** Inputs the memory is measured with, and the same with other sizes of the free dimensions (null: none free). */
  feeds: () => Record<string, TensorData>;
  altFeeds?: () => Record<string, TensorData>;
  dynamicDim?: string;
  graphOptimizationLevel: OptLevel;
  /** Largest tensor allowed to cross a cut (default 8 MiB, a quarter of the 32 MiB RPC limit). */
  maxCrossMiB?: number;
  /** Per-shard budget when it differs from the command's (MiB). */
  budgetMiB?: number;
}

const f32 = (dims: number[], scale = 1): TensorData => {
  const n = dims.reduce((a, b) => a * b, 1);
  let s = n >>> 0;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = (s / 2 ** 32) * scale; }
  return { type: 'float32', data, dims };
};
const i64 = (dims: number[], value: (i: number) => number): TensorData => ({ type: 'int64', data: BigInt64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => BigInt(value(i))), dims });
/** CLIP token rows: BOS, a few tokens, EOS, then padding 0 (the argmax pooling finds the EOS). */
const tokens = (rows: number, length: number): TensorData => i64([rows, length], (i) => { const k = i % length; return k === 0 ? 49406 : k < 6 ? 320 + k + (Math.floor(i / length) % 7) : k === 6 ? 49407 : 0; });
const mask = (rows: number, length: number): TensorData => i64([rows, length], (i) => (i % length <= 6 ? 1 : 0));

const owlBase = (stripped: Uint8Array) => makeBatchable(stripped, OWLVIT_RECIPE).bytes;

const OWL = owlSplit('/mods.0');
export const OWL_IMAGE_OUTPUTS = OWL.image.outputs;
export const OWL_QUERY_OUTPUT = OWL.query.outputs;

const renamed = (map: Record<string, string>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));

export const RECIPES: LookalikeRecipe[] = [
  {
    id: 'lookalike-mobileclip-s0-vision',
    source: 'mobileclip_s0_vision_approx_fastvit_mci0_int8.onnx',
    key: 'lookalikes/mobileclip-s0-vision.onnx',
    adapt: (m) => { renameValues(m, { out: 'image_embeds' }); return m; },
    feeds: () => ({ pixel_values: f32([1, 3, 256, 256]) }),
    graphOptimizationLevel: 'all',
  },
  {
    id: 'lookalike-clip-b32-text',
    source: 'clip_b32_text_int8.onnx',
    key: 'lookalikes/clip-b32-text.onnx',
    prepare: (b) => makeBatchable(b, CLIP_TEXT_RECIPE).bytes,
    // 8 rows: e.g. 4 expressions x 2 templates in one batch
    feeds: () => ({ input_ids: tokens(8, 77) }),
    altFeeds: () => ({ input_ids: tokens(1, 77) }),
    graphOptimizationLevel: 'all',
  },
  {
    id: 'lookalike-owlvit-b32-image',
    source: 'owlvit_b32_768_T2_int8.onnx',
    key: 'lookalikes/owlvit-b32-image.onnx',
    prepare: owlBase,
    adapt: (m) => {
      const part = extractModel(m, { inputs: ['pixel_values'], outputs: Object.values(OWL_IMAGE_OUTPUTS), graphName: 'owlvit_b32_image' });
      renameValues(part, renamed(OWL_IMAGE_OUTPUTS));
      setShapes(part, { image_class_embeds: [1, 576, 512], logit_shift: [1, 576, 1], logit_scale: [1, 576, 1], pred_boxes: [1, 576, 4] });
      return part;
    },
    feeds: () => ({ pixel_values: f32([1, 3, 768, 768]) }),
    graphOptimizationLevel: 'all',
  },
  {
    id: 'lookalike-owlvit-b32-query',
    source: 'owlvit_b32_768_T2_int8.onnx',
    key: 'lookalikes/owlvit-b32-query.onnx',
    prepare: owlBase,
    adapt: (m) => {
      const part = extractModel(m, { inputs: ['input_ids', 'attention_mask'], outputs: Object.values(OWL_QUERY_OUTPUT), graphName: 'owlvit_b32_query' });
      renameValues(part, renamed(OWL_QUERY_OUTPUT));
      setShapes(part, { input_ids: ['num_queries', 16], attention_mask: ['num_queries', 16], query_embeds: ['num_queries', 512] });
      return part;
    },
    feeds: () => ({ input_ids: tokens(8, 16), attention_mask: mask(8, 16) }),
    altFeeds: () => ({ input_ids: tokens(2, 16), attention_mask: mask(2, 16) }),
    dynamicDim: 'num_queries',
    graphOptimizationLevel: 'all',
  },
  {
    id: 'lookalike-mobilesam-encoder',
    source: 'mobilesam_approx_tinyvit5m_1024_int8.onnx',
    key: 'lookalikes/mobilesam-encoder.onnx',
    adapt: (m) => {
      mobileSamEncoderContract(m);
      // stem + stage 0 hold 64 MiB activations at 256²: run them as 4 row strips (stride 8, halo 32 rows >= the
      // prefix's receptive-field radius of 15 input rows), so that no isolate holds a whole one
      tileRows(m, { input: 'adapter_pre_pixel_values', output: '/mods.0/stages_1/downsample/conv3/conv/Conv_output_0', tiles: 4, halo: 32, stride: 8, height: 1024 });
      return m;
    },
    feeds: () => ({ input_image: f32([768, 1024, 3], 255) }),
    graphOptimizationLevel: 'all',
    // the 256 x 256 stage: its residual stream [1, 64, 256, 256] is 16 MiB, half the RPC limit
    maxCrossMiB: 16,
    // 120, not 100: 10 shards instead of 17 (each still under 128 MiB with its file), so that one request with masks
    // makes 29 Worker invocations, under the platform's 32 per request (docs/benchmarks.md, "Memory per isolate")
    budgetMiB: 120,
  },
  {
    id: 'lookalike-sam-decoder-a',
    source: 'sam_prompt_encoder_mask_decoder_int8.onnx',
    key: 'lookalikes/sam-decoder-a.onnx',
    adapt: (m) => { samDecoderContractA(m); return m; },
    feeds: () => ({
      image_embeddings: f32([1, 256, 64, 64]),
      point_coords: { type: 'float32', data: Float32Array.from([100, 100, 400, 300]), dims: [1, 2, 2] },
      point_labels: { type: 'float32', data: Float32Array.from([2, 3]), dims: [1, 2] },
      mask_input: f32([1, 1, 256, 256], 0),
      has_mask_input: { type: 'float32', data: new Float32Array(1), dims: [1] },
      orig_im_size: { type: 'float32', data: Float32Array.from([768, 1024]), dims: [2] },
    }),
    // wasm heap peak of this decoder (ORT-web 1.30, measured): 'all' 99.7 MiB, 'basic'/'extended' 119.6, 'disabled' 69.2
    graphOptimizationLevel: 'disabled',
  },
];

/** Stripped bytes -> the inflated graph with the set's contract. */
export function buildGraph(recipe: LookalikeRecipe, stripped: Uint8Array): Model {
  const model = decodeModel(recipe.prepare ? recipe.prepare(stripped) : stripped);
  inflateModel(model);
  return recipe.adapt ? recipe.adapt(model) : model;
}
