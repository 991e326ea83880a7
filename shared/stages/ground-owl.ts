/**
 * ground with OWL-ViT in two parts: `prepare` runs the image part once per image (vision tower -> per-patch
 * class embeddings, logit shift and scale, boxes; cached per isolate), while the LLM call is in flight; after
 * the LLM answers, `ground` runs the query part once over all of a post's expressions and the class head in JS
 * (shared/vision/owl-head.ts), then takes each query's best patch box. Each expression becomes a query of at
 * most 16 tokens that keeps the entity's name; boxes come back in image pixels.
 */
import type { RgbaImage, Size } from '../image/types';
import type { GroundStage, Grounding } from '../pipeline/contracts';
import { layoutFromSpec, tokenCount, tokenRows } from '../vision/clip-tokens';
import { parseExpression } from '../pipeline/expression';
import { imageInput, modelToImage, type FrameMap } from '../vision/image-input';
import { LruCache } from '../vision/lru';
import { bestBoxPerQuery } from '../vision/owl-boxes';
import { owlClassLogits, type OwlImageParts } from '../vision/owl-head';
import { shortenQuery } from '../vision/owl-query';
import { float32, floatOutput, imageSpec, int64, textSpec, type ModelAccess } from './model-access';

export interface OwlGroundConfig {
  /** Manifest id of the image part (role ground.image). */
  imageModel: string;
  /** Manifest id of the query part (role ground.query). */
  queryModel: string;
  /** Below this probability an entity gets no box (0: always the best box, as RiVEG's VG does). */
  minScore: number;
  /** Images whose image-part outputs are kept per isolate (~1.2 MB each). */
  cacheSize: number;
}

interface PreparedImage {
  parts: OwlImageParts;
  /** `pred_boxes` `[1,P,4]` float32: normalized cxcywh of the model canvas, one per patch. */
  boxes: { data: Float32Array; dims: readonly number[] };
  /** The model input's size (768 x 768 for OWL-ViT B/32, stretched). */
  canvas: Size;
  /** Model frame -> pixels of the stage's input image. */
  map: FrameMap;
}

export class OwlGround implements GroundStage {
  readonly id: string;
  private readonly images: LruCache<Promise<PreparedImage>>;

  constructor(private readonly models: ModelAccess, private readonly config: OwlGroundConfig) {
    this.id = `ground:${config.imageModel}+${config.queryModel}`;
    this.images = new LruCache(config.cacheSize);
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    const query = await this.models.model(this.config.queryModel);
    await Promise.all([this.prepared(image, imageKey), query.load(), this.models.tokenizer(this.config.queryModel)]);
  }

  /** The query each expression is sent as (exposed for the answer's diagnostics and tests). */
  async queries(expressions: readonly string[]): Promise<string[]> {
    const [model, tok] = await Promise.all([this.models.model(this.config.queryModel), this.models.tokenizer(this.config.queryModel)]);
    const max = textSpec(model.entry).maxLength;
    return expressions.map((e) => shortenQuery(parseExpression(e), (t) => tokenCount(tok, t), max));
  }

  /**
   * Queries become `input_ids`/`attention_mask` `[Q,maxLength]` int64 (16 for OWL-ViT) -> `query_embeds` `[Q,D]` -> logits `[1,P,Q]`;
   * one box per expression in pixels of `image` (the stage's input frame), or null.
   */
  async ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
    if (expressions.length === 0) return [];
    const [model, tok, prepared, queries] = await Promise.all([
      this.models.model(this.config.queryModel),
      this.models.tokenizer(this.config.queryModel),
      this.prepared(image, imageKey),
      this.queries(expressions),
    ]);
    const rows = tokenRows(tok, queries, layoutFromSpec(tok, textSpec(model.entry)));
    const out = await model.run({
      input_ids: int64(rows.ids, [rows.rows, rows.maxLength]),
      attention_mask: int64(rows.attentionMask, [rows.rows, rows.maxLength]),
    });
    const embeds = floatOutput(out, 'query_embeds', model.entry.id);
    const logits = owlClassLogits(prepared.parts, embeds.data, embeds.dims);
    const { boxes, canvas, map } = prepared;
    return bestBoxPerQuery(logits.data, logits.dims, boxes.data, boxes.dims, canvas, map, this.config.minScore).map((b) =>
      b ? { box: b.box, score: b.score } : null,
    );
  }

  /** The image part's outputs, once per image key: `pixel_values` `[1,3,768,768]` float32 RGB, CLIP-normalized, in. */
  private prepared(image: RgbaImage, imageKey: string): Promise<PreparedImage> {
    return this.images.getOrCreate(imageKey, async () => {
      const model = await this.models.model(this.config.imageModel);
      const input = imageInput(image, imageSpec(model.entry));
      const out = await model.run({ pixel_values: float32(input.data, input.dims) });
      const id = model.entry.id;
      const embeds = floatOutput(out, 'image_class_embeds', id);
      return {
        parts: { classEmbeds: embeds.data, classDims: embeds.dims, shift: floatOutput(out, 'logit_shift', id).data, scale: floatOutput(out, 'logit_scale', id).data },
        boxes: floatOutput(out, 'pred_boxes', id),
        canvas: input.canvas,
        map: modelToImage(input, { width: image.width, height: image.height }),
      };
    });
  }
}
