/**
 * ground with OWL-ViT (one graph, text + image): the image input is built once per image (by
 * `prepare`, while the LLM runs, which also loads the graph), and one run per post scores every
 * patch against all groundable expressions at once, so the vision tower runs once per image. Each
 * expression becomes a query of at most 16 tokens that keeps the entity's name; its best patch box
 * comes back in image pixels.
 */
import type { RgbaImage } from '../image/types';
import type { GroundStage, Grounding } from '../pipeline/contracts';
import { layoutFromSpec, tokenCount, tokenRows } from '../vision/clip-tokens';
import { parseExpression } from '../vision/expression';
import { imageInput, modelToImage, type ImageInput } from '../vision/image-input';
import { LruCache } from '../vision/lru';
import { bestBoxPerQuery } from '../vision/owl-boxes';
import { shortenQuery } from '../vision/owl-query';
import { textSpec } from './entail-mobileclip';
import { float32, floatOutput, int64, type ModelAccess } from './session';

export interface OwlGroundConfig {
  model: string;
  /** Below this probability an entity gets no box (0: always the best box, as RiVEG's VG does). */
  minScore: number;
  cacheSize: number;
}

interface PreparedImage {
  input: ImageInput;
  width: number;
  height: number;
}

export class OwlGround implements GroundStage {
  readonly id: string;
  private readonly images: LruCache<Promise<PreparedImage>>;

  constructor(private readonly models: ModelAccess, private readonly config: OwlGroundConfig) {
    this.id = `ground:${config.model}`;
    this.images = new LruCache(config.cacheSize);
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    const model = await this.models.model(this.config.model);
    await Promise.all([this.prepared(image, imageKey), model.load(), this.models.tokenizer(this.config.model)]);
  }

  /** The query each expression is sent as (exposed for the answer's diagnostics and tests). */
  async queries(expressions: readonly string[]): Promise<string[]> {
    const [model, tok] = await Promise.all([this.models.model(this.config.model), this.models.tokenizer(this.config.model)]);
    const max = textSpec(model.entry).maxLength;
    return expressions.map((e) => shortenQuery(parseExpression(e), (t) => tokenCount(tok, t), max));
  }

  async ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
    if (expressions.length === 0) return [];
    const [model, tok, prepared, queries] = await Promise.all([
      this.models.model(this.config.model),
      this.models.tokenizer(this.config.model),
      this.prepared(image, imageKey),
      this.queries(expressions),
    ]);
    const rows = tokenRows(tok, queries, layoutFromSpec(tok, textSpec(model.entry)));
    const { input } = prepared;
    const out = await model.run({
      input_ids: int64(rows.ids, [rows.rows, rows.maxLength]),
      attention_mask: int64(rows.attentionMask, [rows.rows, rows.maxLength]),
      pixel_values: float32(input.data, input.dims),
    });
    const logits = floatOutput(out, 'logits', model.entry.id);
    const boxes = floatOutput(out, 'pred_boxes', model.entry.id);
    const map = modelToImage(input, prepared);
    return bestBoxPerQuery(logits.data, logits.dims, boxes.data, boxes.dims, input.canvas, map, this.config.minScore).map((b) =>
      b ? { box: b.box, score: b.score } : null,
    );
  }

  private prepared(image: RgbaImage, imageKey: string): Promise<PreparedImage> {
    return this.images.getOrCreate(imageKey, async () => {
      const model = await this.models.model(this.config.model);
      const spec = model.entry.preprocessing;
      if (spec.kind !== 'image+text') throw new Error(`model "${model.entry.id}" is not an image+text detector in the manifest`);
      return { input: imageInput(image, spec.image), width: image.width, height: image.height };
    });
  }
}
