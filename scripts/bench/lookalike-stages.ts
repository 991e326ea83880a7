/**
 * Benchmark stand-ins for the three vision stages, over the look-alike models (../shared/lookalike-models):
 * real architectures with random weights, whose input names differ from the published contracts, so the
 * real stage classes (shared/stages) cannot run them. These implement the same stage contracts
 * (shared/pipeline/contracts.ts) with the real stages' call pattern, real pre-processing of the decoded image
 * (shared/vision/image-input) and the real post-processing of the outputs; only the token ids are synthetic
 * (same shapes as the real tokenizer layout: 77 tokens per text-tower row, 16 per OWL-ViT query):
 *
 *  entail  MobileCLIP-S0 image tower once per image (prepare); the text tower once per post over
 *          expressions x templates in one batch; generic negatives once per isolate. Groundability is
 *          decided by the configured fraction (the first round(f x n) expressions), not by the random scores.
 *  ground  the real stage (shared/stages/ground-owl.ts) over the OWL-ViT B/32 look-alike parts, which have the
 *          default set's contracts (built by `npm run models -- lookalikes`): the image part once per image at
 *          prepare, the query part once per post over every groundable query (16 tokens each), the class head in
 *          JS. Only the tokenizer is synthetic; random weights can put a best box outside the image, which then
 *          gets a fixed fallback box so that segmentation still runs.
 *  segment a SAM-family image encoder once per image (prepare), then the prompt-encoder/mask-decoder once
 *          per box (the official export's batch of one), the mask chosen by IoU, upsampled and RLE-encoded.
 *          The look-alike encoder's output is not SAM's [1, 256, 64, 64] embedding (MobileSAM look-alike:
 *          [1, 320, 32, 32]), so the decoder gets a fixed synthetic embedding of the right shape.
 *
 * Platform-neutral: the sessions come from a `LookalikeModels` (the bench Worker makes one over
 * onnxruntime-web in workerd).
 */
import { rleEncode } from '../../shared/vision/rle';
import type { RgbaImage } from '../../shared/image/types';
import type { TensorData } from '../../shared/onnx/tensors';
import type { Box, EntailStage, Entailment, GroundStage, Grounding, SegmentStage, Segmentation } from '../../shared/pipeline/contracts';
import { DEFAULT_ENTAIL_CALIBRATION, decide, entailFeatures } from '../../shared/vision/calibration';
import { dot, l2Normalize, meanDirection, row } from '../../shared/vision/embeddings';
import { imageInput, type ImageSpec } from '../../shared/vision/image-input';
import type { TextTokenizer } from '../../shared/vision/clip-tokens';
import { OwlGround } from '../../shared/stages/ground-owl';
import type { ModelAccess } from '../../shared/stages/model-access';
import { binarize, selectMask, upscaleLowResMask } from '../../shared/vision/sam-masks';
import { BOX_CORNER_LABELS, SAM_INPUT_SIZE, imageBoxToSamCorners, samResizedSize } from '../../shared/vision/sam-transform';
import { DEFAULT_NEGATIVES, DEFAULT_TEMPLATES } from '../../shared/stages/entail-mobileclip';
import { MODELS } from '../../models/manifest';
import { MOBILECLIP_IMAGE } from '../../models/preprocessing';

/** The logical models the bench stages run; the driver maps each to a look-alike file. */
export type LookalikeName = 'entail-vision' | 'entail-text' | 'ground-image' | 'ground-query' | 'segment-encoder' | 'segment-decoder';

export interface LookalikeSession {
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
}

export interface LookalikeModels {
  session(name: LookalikeName): Promise<LookalikeSession>;
}

/** SAM's processor (transformers.js): longest side to 1024, ImageNet mean/std, zero padding to 1024 x 1024, NCHW. */
export const SAM_NCHW_IMAGE: ImageSpec = {
  kind: 'image',
  resize: { mode: 'longest-edge', size: SAM_INPUT_SIZE, resample: 'bilinear' },
  pad: { width: SAM_INPUT_SIZE, height: SAM_INPUT_SIZE, value: 0, anchor: 'top-left' },
  rescale: 1 / 255,
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  layout: 'NCHW',
};

const TEXT_TOWER_TOKENS = 77;
const BOS = 49406;
const EOS = 49407;

const f32 = (data: Float32Array, dims: readonly number[]): TensorData => ({ type: 'float32', data, dims });
const i64 = (values: ArrayLike<number>, dims: readonly number[]): TensorData => {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return { type: 'int64', data, dims };
};

function floatOut(out: Record<string, TensorData>, name: string): { data: Float32Array; dims: readonly number[] } {
  const o = out[name];
  if (!o || !(o.data instanceof Float32Array)) throw new Error(`look-alike gave no float32 output "${name}" (it has ${Object.keys(out).join(', ')})`);
  return { data: o.data, dims: o.dims };
}

/** A fixed pseudo-random vector (no Math.random: runs must be comparable). */
function pseudoRandom(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/**
 * Token rows in the real layout (BOS, word pieces, EOS, zero padding to `length`): one piece per word of the
 * text, so longer expressions have more non-pad tokens, as with the real BPE. The ids themselves are synthetic.
 */
function tokenRows(texts: readonly string[], length: number): { ids: number[]; mask: number[] } {
  const ids: number[] = [];
  const mask: number[] = [];
  texts.forEach((t, r) => {
    const words = t.split(/\s+/).filter(Boolean).slice(0, length - 2);
    const row = [BOS, ...words.map((_, i) => 320 + ((r * 31 + i * 7) % 40_000)), EOS];
    for (let i = 0; i < length; i++) {
      ids.push(i < row.length ? row[i] : 0);
      mask.push(i < row.length ? 1 : 0);
    }
  });
  return { ids, mask };
}

/** Which of a post's n expressions the bench calls groundable: the first round(fraction x n). */
export const groundableCount = (n: number, fraction: number) => Math.min(n, Math.max(0, Math.round(fraction * n)));

export interface EntailOptions {
  groundableFraction: number;
  /** Run the image tower (false: a fixed embedding, to measure the text tower alone). */
  vision?: boolean;
  /** Run the text tower (false: fixed embeddings, to measure the image tower alone). */
  text?: boolean;
}

export class LookalikeEntail implements EntailStage {
  readonly id = 'entail:lookalike(mobileclip-s0 image tower + clip-b32 text tower)';
  private readonly images = new Map<string, Promise<Float32Array>>();
  private negativeEmbeddings?: Promise<Float32Array[]>;

  constructor(private readonly models: LookalikeModels, private readonly opts: EntailOptions) {}

  /** Forgets image-level results: the next post brings a new image. Sessions and negatives stay (per isolate). */
  forgetImages(): void {
    this.images.clear();
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await this.imageEmbedding(image, imageKey);
  }

  async entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]> {
    if (expressions.length === 0) return [];
    const templates = DEFAULT_TEMPLATES;
    const [img, negatives, rows] = await Promise.all([
      this.imageEmbedding(image, imageKey),
      this.negatives(),
      this.embedTexts(expressions.flatMap((e) => templates.map((t) => t.replace('{}', e)))),
    ]);
    const negativeCos = negatives.map((n) => dot(img, n));
    const k = groundableCount(expressions.length, this.opts.groundableFraction);
    return expressions.map((_, i) => {
      const text = meanDirection(rows.slice(i * templates.length, (i + 1) * templates.length));
      const d = decide(entailFeatures(dot(img, text), negativeCos), DEFAULT_ENTAIL_CALIBRATION);
      return { groundable: i < k, score: d.score };
    });
  }

  private imageEmbedding(image: RgbaImage, imageKey: string): Promise<Float32Array> {
    let p = this.images.get(imageKey);
    if (!p) {
      p = (async () => {
        if (this.opts.vision === false) return l2Normalize(pseudoRandom(512, 7));
        const session = await this.models.session('entail-vision');
        const input = imageInput(image, MOBILECLIP_IMAGE);
        const out = await session.run({ pixel_values: f32(input.data, input.dims) });
        return l2Normalize(floatOut(out, 'out').data.slice(0, 512));
      })();
      this.images.set(imageKey, p);
    }
    return p;
  }

  private negatives(): Promise<Float32Array[]> {
    this.negativeEmbeddings ??= this.embedTexts([...DEFAULT_NEGATIVES]);
    return this.negativeEmbeddings;
  }

  /** All texts in one batch of [rows, 77] token ids, as the real stage does. */
  private async embedTexts(texts: string[]): Promise<Float32Array[]> {
    if (this.opts.text === false) return texts.map((_, i) => l2Normalize(pseudoRandom(512, 100 + i)));
    const session = await this.models.session('entail-text');
    const { ids } = tokenRows(texts, TEXT_TOWER_TOKENS);
    const out = floatOut(await session.run({ input_ids: i64(ids, [texts.length, TEXT_TOWER_TOKENS]) }), 'text_embeds');
    const dim = out.dims[out.dims.length - 1];
    return texts.map((_, i) => l2Normalize(row(out.data, dim, i)));
  }
}

/** BOS, one synthetic id per word, EOS: the real layout and lengths, ids that mean nothing (like the weights). */
const syntheticTokenizer: TextTokenizer = {
  encode: (text) => ({ ids: [BOS, ...text.split(/\s+/).filter(Boolean).map((w, i) => 320 + ((w.length * 31 + i * 7) % 40_000)), EOS] }),
  token_to_id: (token) => (token === '<|endoftext|>' ? EOS : undefined),
};

/** The OWL-ViT parts' default-set entries: the look-alike parts share their contracts and pre-processing. */
const OWL_PARTS: Record<string, LookalikeName> = { 'owlvit-b32-image': 'ground-image', 'owlvit-b32-query': 'ground-query' };

export class LookalikeGround implements GroundStage {
  readonly id = 'ground:lookalike(owlvit-b32 @768, image part + query part, class head in JS)';
  private stage: OwlGround;
  private readonly access: ModelAccess;
  /** Queries whose best box was empty (random weights) and got the fallback box instead, for the report. */
  fallbacks = 0;

  constructor(models: LookalikeModels) {
    this.access = {
      async model(id) {
        const name = OWL_PARTS[id];
        const entry = MODELS.find((m) => m.id === id);
        if (!name || !entry) throw new Error(`no OWL-ViT look-alike part for "${id}"`);
        return {
          entry,
          run: async (feeds) => (await models.session(name)).run(feeds),
          load: async () => { await models.session(name); },
        };
      },
      tokenizer: async () => syntheticTokenizer,
    };
    this.stage = this.fresh();
  }

  private fresh(): OwlGround {
    return new OwlGround(this.access, { imageModel: 'owlvit-b32-image', queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 1 });
  }

  forgetImages(): void {
    this.stage = this.fresh();
  }

  prepare(image: RgbaImage, imageKey: string): Promise<void> {
    return this.stage.prepare(image, imageKey);
  }

  async ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
    const found = await this.stage.ground(image, imageKey, expressions);
    return found.map((g, i) => {
      if (g) return g;
      // random weights can put the best patch's box outside the image; a real model's would not
      this.fallbacks++;
      const w = image.width;
      const h = image.height;
      return { box: { x1: (w * (i % 4)) / 5, y1: h / 5, x2: (w * ((i % 4) + 2)) / 5, y2: (h * 4) / 5 }, score: 0 };
    });
  }
}

export interface SegmentOptions {
  /** Run the image encoder (false: decoder only, the encoder placed elsewhere). */
  encoder?: boolean;
}

interface Embedded { resized: { width: number; height: number } }

const LOW_RES = { width: 256, height: 256 };

export class LookalikeSegment implements SegmentStage {
  readonly id: string;
  private readonly images = new Map<string, Promise<Embedded>>();
  private embeddings?: TensorData;

  constructor(private readonly models: LookalikeModels, private readonly opts: SegmentOptions = {}) {
    this.id = `segment:lookalike(${opts.encoder === false ? 'decoder only' : 'sam-family encoder + sam decoder'})`;
  }

  forgetImages(): void {
    this.images.clear();
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await Promise.all([this.embedded(image, imageKey), this.models.session('segment-decoder')]);
  }

  async segment(image: RgbaImage, imageKey: string, boxes: Box[], output: { width: number; height: number }): Promise<Segmentation[]> {
    if (boxes.length === 0) return [];
    const [emb, decoder] = await Promise.all([this.embedded(image, imageKey), this.models.session('segment-decoder')]);
    // [1, 256, 64, 64]: what SAM's encoders give; fixed, since the look-alike encoder's output differs
    this.embeddings ??= f32(pseudoRandom(256 * 64 * 64, 11), [1, 256, 64, 64]);
    const out: Segmentation[] = [];
    for (const box of boxes) {
      // one prompt per run, as the official export (the default decoder, contract A) takes it
      const corners = imageBoxToSamCorners(box, image, SAM_INPUT_SIZE);
      const r = await decoder.run({
        image_embeddings: this.embeddings,
        input_points: f32(new Float32Array(corners), [1, 1, 2, 2]),
        input_labels: i64(BOX_CORNER_LABELS, [1, 1, 2]),
      });
      const iou = floatOut(r, 'iou_scores').data;
      const masks = floatOut(r, 'pred_masks').data;
      const k = selectMask(iou);
      const plane = LOW_RES.width * LOW_RES.height;
      const logits = upscaleLowResMask(masks.subarray(k * plane, (k + 1) * plane), LOW_RES, emb.resized, output);
      const { bits, area } = binarize(logits);
      out.push({ mask: rleEncode(bits, output.height, output.width), area, score: iou[k] });
    }
    return out;
  }

  private embedded(image: RgbaImage, imageKey: string): Promise<Embedded> {
    let p = this.images.get(imageKey);
    if (!p) {
      p = (async () => {
        // decoder only: the embedding would arrive from wherever the encoder runs
        if (this.opts.encoder === false) return { resized: samResizedSize(image.width, image.height) };
        const encoder = await this.models.session('segment-encoder');
        const input = imageInput(image, SAM_NCHW_IMAGE);
        await encoder.run({ pixel_values: f32(input.data, input.dims) });
        return { resized: input.resized };
      })();
      this.images.set(imageKey, p);
    }
    return p;
  }
}
