/**
 * entail: is the entity visible at all? MobileCLIP (any CLIP-family dual encoder with split towers):
 * the image tower once per image (cached by image key, started by `prepare` while the LLM runs), the
 * text tower once per post for all expressions x templates in one batch, the generic negatives once
 * per isolate (also started by `prepare`). Each expression gets 100·cos to the image and its margin over the best negative; the
 * calibration (from the manifest) turns those into the groundable probability.
 */
import type { RgbaImage } from '../image/types';
import type { EntailStage, Entailment } from '../pipeline/contracts';
import { decide, entailFeatures, type EntailFeatures, type LogisticCalibration } from '../vision/calibration';
import { layoutFromSpec, tokenRows } from '../vision/clip-tokens';
import { dot, l2Normalize, meanDirection, row } from '../vision/embeddings';
import { applyTemplate, naturalText, parseExpression } from '../pipeline/expression';
import { imageInput } from '../vision/image-input';
import { LruCache } from '../vision/lru';
import { float32, floatOutput, hasInput, imageSpec, int64, textSpec, type ModelAccess } from './model-access';

export interface EntailConfig {
  visionModel: string;
  textModel: string;
  calibration: LogisticCalibration;
  /** Generic captions every expression must beat. */
  negatives: readonly string[];
  /** Prompt templates averaged per expression ("{}" is the expression). */
  templates: readonly string[];
  /** Image embeddings kept per isolate. */
  cacheSize: number;
}

/**
 * Captions that fit any photo but name nothing in it. No "a logo": logos are how organisations
 * usually appear in Twitter-GMNER images, so it would count against the entities it should find.
 */
export const DEFAULT_NEGATIVES = ['a photo', 'an image', 'a screenshot of text', 'a meme', 'a picture of something'] as const;
export const DEFAULT_TEMPLATES = ['{}', 'a photo of {}.'] as const;

export class MobileClipEntail implements EntailStage {
  readonly id: string;
  private readonly images: LruCache<Promise<Float32Array>>;
  private negativeEmbeddings?: Promise<Float32Array[]>;

  constructor(private readonly models: ModelAccess, private readonly config: EntailConfig) {
    this.id = `entail:${config.visionModel}+${config.textModel}`;
    this.images = new LruCache(config.cacheSize);
  }

  /**
   * Everything that needs no expression: the image embedding, and (first post of an isolate) the text tower's
   * session and the negatives' embeddings, so that after the LLM answers only the expressions' batch runs.
   */
  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await Promise.all([this.imageEmbedding(image, imageKey), this.negatives()]);
  }

  async entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]> {
    const features = await this.features(image, imageKey, expressions);
    return features.map((f) => decide(f, this.config.calibration));
  }

  /** The calibration's inputs per expression (what scripts/calibrate-entailment.ts fits on). */
  async features(image: RgbaImage, imageKey: string, expressions: string[]): Promise<EntailFeatures[]> {
    if (expressions.length === 0) return [];
    const [img, negatives, texts] = await Promise.all([
      this.imageEmbedding(image, imageKey),
      this.negatives(),
      this.expressionEmbeddings(expressions),
    ]);
    const negativeCos = negatives.map((n) => dot(img, n));
    return texts.map((t) => entailFeatures(dot(img, t), negativeCos));
  }

  get calibration(): LogisticCalibration {
    return this.config.calibration;
  }

  /** `pixel_values` `[1,3,256,256]` float32 RGB in 0..1 (per the manifest) -> L2-normalized `image_embeds` `[D]`, once per image key. */
  private imageEmbedding(image: RgbaImage, imageKey: string): Promise<Float32Array> {
    return this.images.getOrCreate(imageKey, async () => {
      const model = await this.models.model(this.config.visionModel);
      const input = imageInput(image, imageSpec(model.entry));
      const out = await model.run({ pixel_values: float32(input.data, input.dims) });
      return l2Normalize(floatOutput(out, 'image_embeds', model.entry.id).data);
    });
  }

  private negatives(): Promise<Float32Array[]> {
    if (!this.negativeEmbeddings) {
      const p = this.embedTexts([...this.config.negatives]);
      p.catch(() => { if (this.negativeEmbeddings === p) this.negativeEmbeddings = undefined; });
      this.negativeEmbeddings = p;
    }
    return this.negativeEmbeddings;
  }

  /** One direction per expression: the mean of its normalized template embeddings. */
  private async expressionEmbeddings(expressions: string[]): Promise<Float32Array[]> {
    const templates = this.config.templates.length ? this.config.templates : ['{}'];
    const texts = expressions.flatMap((e) => templates.map((t) => applyTemplate(t, naturalText(parseExpression(e)))));
    const rows = await this.embedTexts(texts);
    return expressions.map((_, i) => meanDirection(rows.slice(i * templates.length, (i + 1) * templates.length)));
  }

  /** `input_ids` (and `attention_mask`) `[N,maxLength]` int64 -> L2-normalized `text_embeds` rows `[D]`, all texts in one batch. */
  private async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const [model, tok] = await Promise.all([this.models.model(this.config.textModel), this.models.tokenizer(this.config.textModel)]);
    const layout = layoutFromSpec(tok, textSpec(model.entry));
    const rows = tokenRows(tok, texts, layout);
    const feeds = { input_ids: int64(rows.ids, [rows.rows, rows.maxLength]) } as Record<string, ReturnType<typeof int64>>;
    if (hasInput(model.entry, 'attention_mask')) feeds.attention_mask = int64(rows.attentionMask, [rows.rows, rows.maxLength]);
    const out = floatOutput(await model.run(feeds), 'text_embeds', model.entry.id);
    const dim = out.dims[out.dims.length - 1];
    return texts.map((_, i) => l2Normalize(row(out.data, dim, i)));
  }
}
