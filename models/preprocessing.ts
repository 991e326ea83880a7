/**
 * Pre-processing parameters shared by several manifest entries. Sources: each model's preprocessor_config.json on
 * Hugging Face (Xenova/mobileclip_s0, Xenova/owlvit-base-patch32), segment-anything's `utils/onnx.py` (SamOnnxModel)
 * and transformers.js `models/sam` (https://github.com/huggingface/transformers.js).
 */
import type { Preprocessing } from '../shared/onnx/manifest-types';

type Image = Extract<Preprocessing, { kind: 'image' }>;
type Text = Extract<Preprocessing, { kind: 'text' }>;

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** CLIP BPE; `<|startoftext|>` 49406, `<|endoftext|>` 49407; rows of `maxLength` ids (`[N,maxLength]` int64 at the graph). */
export function clipText(maxLength: number, padTokenId: number): Text {
  return { kind: 'text', tokenizer: 'clip-bpe', maxLength, padding: 'max_length', padTokenId, bosTokenId: 49406, eosTokenId: 49407, lowercase: true };
}

/** MobileCLIP-S0 (Xenova preprocessor_config.json): shortest edge 256, centre crop, /255, no normalisation -> `[1,3,256,256]` float32 RGB in 0..1. */
export const MOBILECLIP_IMAGE: Image = {
  kind: 'image',
  resize: { mode: 'shortest-edge', size: 256, resample: 'bilinear' },
  crop: { width: 256, height: 256, mode: 'center' },
  rescale: 1 / 255,
  normalize: null,
  layout: 'NCHW',
};

/** OWL-ViT: stretch to 768 x 768 (aspect not kept), bicubic, /255, CLIP mean/std -> `[1,3,768,768]` float32 RGB, CLIP-normalized; boxes come back normalized to that canvas. */
export const OWLVIT_IMAGE: Image = {
  kind: 'image',
  resize: { mode: 'exact', size: [768, 768], resample: 'bicubic' },
  rescale: 1 / 255,
  normalize: { mean: CLIP_MEAN, std: CLIP_STD },
  layout: 'NCHW',
};

/** Acly/samexporter MobileSAM encoder: longest side to 1024, RGB 0–255, HWC -> `[h,w,3]` float32 with max(h, w) = 1024; the graph normalises and pads to the 1024 square. */
export const MOBILESAM_ACLY_IMAGE: Image = {
  kind: 'image',
  resize: { mode: 'longest-edge', size: 1024, resample: 'bilinear' },
  rescale: 1,
  normalize: null,
  layout: 'HWC',
};
