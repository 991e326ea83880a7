/**
 * The model manifest: every model a stage may run, by id. Stages name ids only; files, hashes, origins, I/O
 * contracts, pre-processing and memory needs live here.
 *
 * Real files could not be downloaded when this was written, so `bytes` and `sha256` are null: those entries are
 * unverified and nothing loads them until `npm run models -- pull <id> --trust-on-first-use` has pinned the hash
 * (and `publish` has put it in the bucket's manifest.json). Origins use `resolve/main` where no revision was
 * known; pin them to a commit when pulling. Contracts follow the exports (transformers.js / optimum for CLIP and
 * OWL-ViT, segment-anything's `utils/onnx.py` and transformers.js `models/sam` for SAM); the
 * runtime refuses a file whose graph disagrees.
 */
import type { ModelEntry } from '../shared/onnx/manifest-types';
import { clipText, MOBILECLIP_IMAGE, MOBILESAM_ACLY_IMAGE, OWLVIT_IMAGE } from './preprocessing';

const MiB = 1024 * 1024;
/**
 * Peak wasm heaps from `npm run bench -- models ../shared/lookalike-models ../shared/lookalike-models/stripped`
 * (models/README.md: Node 22, onnxruntime-web 1.30.0, 2-core x86-64). Where only a weight-stripped look-alike
 * exists, real ≈ stripped peak + 1.3 × the real file: the largest ratio seen where both forms were measured
 * (SAM decoder 0×, SlimSAM-77 0.8×, MobileCLIP 0.9×, EfficientSAM 1.3×).
 */
const BENCH = 'bench of ../shared/lookalike-models, Node 22, 2-core x86-64, graph optimisation all';
/** A file cut from a published one (`models split`): no origin to download it from, only the bucket. */
const derived = (repo: string, path: string) => ({ key: `${repo}/${path}`, bytes: null, sha256: null, origin: null });
const hf = (repo: string, revision: string, path: string) => ({ key: `${repo}/${path}`, bytes: null, sha256: null, origin: `https://huggingface.co/${repo}/resolve/${revision}/${path}` });

export const MODELS: ModelEntry[] = [
  {
    id: 'mobileclip-s0-vision',
    set: 'default',
    title: 'MobileCLIP-S0 image tower (int8)',
    role: 'entail.vision',
    files: [hf('Xenova/mobileclip_s0', 'main', 'onnx/vision_model_quantized.onnx')],
    inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch', 3, 256, 256], example: { dims: { batch: 1 }, fill: 'rand' } }],
    outputs: [{ name: 'image_embeds', type: 'float32', shape: ['batch', 512] }],
    preprocessing: MOBILECLIP_IMAGE,
    memory: { peakWasmBytes: 44 * MiB, basis: `measured 43.5 MiB on the real-size int8 look-alike (mobileclip_s0_vision_approx_fastvit_mci0_int8.onnx), ${BENCH}` },
    license: 'Apple ML research licence (see the repo LICENSE)',
    notes: 'Xenova notes the vision tower is sensitive to quantisation; the fp32 file (onnx/vision_model.onnx, ~45 MB) is the better-quality choice where ~110–130 MB fits.',
  },
  {
    id: 'mobileclip-s0-text',
    set: 'default',
    title: 'MobileCLIP-S0 text tower (int8)',
    role: 'entail.text',
    files: [hf('Xenova/mobileclip_s0', 'main', 'onnx/text_model_quantized.onnx')],
    inputs: [{ name: 'input_ids', type: 'int64', shape: ['batch', 77], example: { dims: { batch: 1 }, fill: 5 } }],
    outputs: [{ name: 'text_embeds', type: 'float32', shape: ['batch', 512] }],
    preprocessing: clipText(77, 0),
    memory: { peakWasmBytes: 130 * MiB, basis: 'estimate: loading costs ~3x the 42.8 MB int8 file in wasm heap, plus activations (no look-alike measured)' },
    license: 'Apple ML research licence (see the repo LICENSE)',
    notes: 'Over a 128 MB budget as published; taking the 49408 x 512 token-embedding table out of the graph (rows read on demand) brings it to ~17 MB (estimate).',
  },
  // OWL-ViT B/32 in two parts, so the vision tower (image only) runs in prepare() while the LLM answers and the
  // class head runs in JS (shared/vision/owl-head.ts). Neither part is published: both are cut from the one-graph
  // export (Xenova/owlvit-base-patch32 onnx/model_quantized.onnx) by `npm run models -- split` and put in the
  // bucket with `models publish` (with the repo's tokenizer.json and tokenizer_config.json beside onnx/).
  {
    id: 'owlvit-b32-image',
    set: 'default',
    title: 'OWL-ViT B/32 @768 image part (int8): vision tower, class embeddings and boxes',
    role: 'ground.image',
    files: [derived('Xenova/owlvit-base-patch32', 'onnx/owlvit-b32-image_quantized.onnx')],
    inputs: [{ name: 'pixel_values', type: 'float32', shape: [1, 3, 768, 768], example: { fill: 'rand' } }],
    outputs: [
      { name: 'image_class_embeds', type: 'float32', shape: [1, 576, 512] },
      { name: 'logit_shift', type: 'float32', shape: [1, 576, 1] },
      { name: 'logit_scale', type: 'float32', shape: [1, 576, 1] },
      { name: 'pred_boxes', type: 'float32', shape: [1, 576, 4] },
    ],
    preprocessing: OWLVIT_IMAGE,
    memory: { peakWasmBytes: 236 * MiB, basis: `estimate: 121.8 MiB measured on the stripped one-graph look-alike (owlvit_b32_768_T2, 2 queries; its vision tower dominates) + 1.3 × ~87 MiB, the vision tower's share (88 M of 151 M parameters) of the 146 MiB int8 file, ${BENCH}` },
    license: 'Apache-2.0',
    notes: 'split --inputs pixel_values --outputs image_class_embeds,logit_shift,logit_scale,pred_boxes of the one-graph export: the class head\'s per-patch projection, L2-normalised, its shift, and its scale after elu + 1 (OwlViTClassPredictionHead); pred_boxes normalised (cx, cy, w, h) of the 768² input.',
  },
  {
    id: 'owlvit-b32-query',
    set: 'default',
    title: 'OWL-ViT B/32 query part (int8): text tower over 16-token queries',
    role: 'ground.query',
    files: [derived('Xenova/owlvit-base-patch32', 'onnx/owlvit-b32-query_quantized.onnx')],
    inputs: [
      { name: 'input_ids', type: 'int64', shape: ['num_queries', 16], example: { dims: { num_queries: 2 }, fill: 5 } },
      { name: 'attention_mask', type: 'int64', shape: ['num_queries', 16], example: { dims: { num_queries: 2 }, fill: 1 } },
    ],
    outputs: [{ name: 'query_embeds', type: 'float32', shape: ['num_queries', 512] }],
    preprocessing: clipText(16, 0),
    memory: { peakWasmBytes: 155 * MiB, basis: `estimate: 75.6 MiB measured on the CLIP-B/32 text look-alike (77 tokens) + 1.3 × ~60 MiB, the text tower's share of the 146 MiB int8 file, ${BENCH}` },
    license: 'Apache-2.0',
    notes: 'split --inputs input_ids,attention_mask --outputs query_embeds of the one-graph export: pooled, projected text embeddings, not normalised (the head normalises them).',
  },
  {
    id: 'mobilesam-encoder',
    set: 'default',
    title: 'MobileSAM image encoder (TinyViT, fp32, Acly export)',
    role: 'segment.encoder',
    files: [hf('Acly/MobileSAM', 'main', 'mobile_sam_image_encoder.onnx')],
    inputs: [{ name: 'input_image', type: 'float32', shape: ['height', 'width', 3], example: { dims: { height: 768, width: 1024 }, fill: 'rand' } }],
    outputs: [{ name: 'image_embeddings', type: 'float32', shape: [1, 256, 64, 64] }],
    preprocessing: MOBILESAM_ACLY_IMAGE,
    memory: { peakWasmBytes: 350 * MiB, basis: `estimate: 314.5 MiB measured on the stripped look-alike (mobilesam_approx_tinyvit5m_1024, 1024 x 1024) + 1.3 × 27 MiB fp32 file, ${BENCH}` },
    license: 'Apache-2.0 weights, MIT export',
  },
  {
    id: 'sam-decoder-a',
    set: 'default',
    title: 'SAM prompt encoder + mask decoder, official export (contract A, MobileSAM/Acly, 4 masks)',
    role: 'segment.decoder',
    files: [hf('Acly/MobileSAM', 'main', 'sam_mask_decoder_multi.onnx')],
    inputs: [
      { name: 'image_embeddings', type: 'float32', shape: [1, 256, 64, 64], example: { fill: 'rand' } },
      { name: 'point_coords', type: 'float32', shape: [1, 'num_points', 2], example: { dims: { num_points: 2 }, fill: [100, 100, 400, 300] } },
      { name: 'point_labels', type: 'float32', shape: [1, 'num_points'], example: { dims: { num_points: 2 }, fill: [2, 3] } },
      { name: 'mask_input', type: 'float32', shape: [1, 1, 256, 256], example: { fill: 0 } },
      { name: 'has_mask_input', type: 'float32', shape: [1], example: { fill: 0 } },
      { name: 'orig_im_size', type: 'float32', shape: [2], example: { fill: [480, 640] } },
    ],
    outputs: [
      { name: 'masks', type: 'float32', shape: [1, 4, 'orig_height', 'orig_width'] },
      { name: 'iou_predictions', type: 'float32', shape: [1, 4] },
      { name: 'low_res_masks', type: 'float32', shape: [1, 4, 256, 256] },
    ],
    preprocessing: { kind: 'prompt', frame: 'longest side scaled to 1024: s = 1024 / max(H, W); point_coords = (x·s, y·s)', boxLabels: [2, 3], maskThreshold: 0, notes: 'Box prompt: corners labelled 2 and 3, no padding point; mask_input zeros, has_mask_input [0]. Masks come back at H x W; token 0 is the single-mask output SAM recommends for boxes.' },
    memory: { peakWasmBytes: 115 * MiB, basis: `estimate: 99.7 MiB measured on the real-size int8 decoder look-alike + 1.3 × 11 MiB for fp32 weights (16.5 MB file), ${BENCH}` },
    license: 'Apache-2.0 weights, MIT export',
  },
  {
    id: 'sam-decoder-b',
    set: 'default',
    title: 'SAM prompt encoder + mask decoder, transformers.js export (contract B, SlimSAM-77 points-and-boxes, int8)',
    role: 'segment.decoder',
    files: [hf('Xenova/slimsam-77-uniform', 'points-and-boxes', 'onnx/prompt_encoder_mask_decoder_quantized.onnx')],
    inputs: [
      { name: 'input_points', type: 'float32', shape: ['batch', 'point_batch', 'num_points', 2], example: { dims: { batch: 1, point_batch: 1, num_points: 1 }, fill: 0 } },
      { name: 'input_labels', type: 'int64', shape: ['batch', 'point_batch', 'num_points'], example: { dims: { batch: 1, point_batch: 1, num_points: 1 }, fill: -10 } },
      { name: 'input_boxes', type: 'float32', shape: ['batch', 'num_boxes', 4], example: { dims: { batch: 1, num_boxes: 1 }, fill: [100, 100, 400, 300] } },
      { name: 'image_embeddings', type: 'float32', shape: ['batch', 256, 64, 64], example: { dims: { batch: 1 }, fill: 'rand' } },
      { name: 'image_positional_embeddings', type: 'float32', shape: ['batch', 256, 64, 64], example: { dims: { batch: 1 }, fill: 'rand' } },
    ],
    outputs: [
      { name: 'iou_scores', type: 'float32', shape: ['batch', 'num_boxes', 3] },
      { name: 'pred_masks', type: 'float32', shape: ['batch', 'num_boxes', 3, 256, 256] },
    ],
    preprocessing: { kind: 'prompt', frame: 'longest side scaled to 1024 (transformers.js rounds with floor(toFixed(2))); boxes (x0, y0, x1, y1) in that frame', maskThreshold: 0, notes: 'Labels: 1 positive, 0 negative, -1 not-a-point, -10 padding; 2/3 are not box corners here, boxes go in input_boxes. pred_masks are 256 x 256 logits of the padded 1024 frame: upsample, crop, resize to H x W. Token 0 is not exported: take the best iou_scores.' },
    memory: { peakWasmBytes: 100 * MiB, basis: `measured 99.7 MiB on the real-size int8 look-alike (sam_prompt_encoder_mask_decoder_int8.onnx; 69 MB with graph optimisation disabled), ${BENCH}` },
    license: 'Apache-2.0',
  },
];
