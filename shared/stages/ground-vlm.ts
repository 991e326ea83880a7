/**
 * ground with a hosted vision-language model (Gemini, Qwen-VL, any OpenAI-compatible endpoint that
 * takes images): one request per post with the image and every groundable entity, the answer read
 * in the configured box convention. The image is shrunk and PNG-encoded once per image (by
 * `prepare`, while the recognizer's LLM call runs). For Qwen2.5-VL, whose boxes are pixels of the
 * image as the model resized it, the image is sent at its own smart_resize size so that frame is
 * the sent image whatever the host's pixel limits.
 */
import { bytesToBase64 } from '../base64';
import { resize } from '../image/resize';
import type { RgbaImage, Size } from '../image/types';
import type { ChatClient, ChatMessage } from '../llm/types';
import type { GroundStage, Grounding } from '../pipeline/contracts';
import { ProblemError } from '../problems';
import { parseExpression } from '../pipeline/expression';
import { LruCache } from '../vision/lru';
import { encodePngRgb } from '../vision/png-encode';
import { smartResize, type BoxConvention } from '../vision/vlm-boxes';
import { groundingPrompt, readGroundingAnswer, type QwenConvention } from '../vision/vlm-grounding';

export interface VlmGroundConfig {
  /** The convention the model is asked for; answers in the other key are still read. */
  convention: BoxConvention;
  /** Long side of the image sent, in pixels (never enlarged). */
  maxSide: number;
  cacheSize: number;
}

interface SentImage {
  /** PNG data URL of the image resized to `sent` (same content, stretched per axis by rounding only). */
  url: string;
  /** The sent image's size: the frame Qwen2.5-VL's absolute boxes are in. */
  sent: Size;
}

/** Input-image size -> size to send: fit `maxSide`, then for Qwen2.5 snap to its own smart_resize grid. */
export function sentSize(width: number, height: number, cfg: Pick<VlmGroundConfig, 'convention' | 'maxSide'>): Size {
  const k = Math.min(1, cfg.maxSide / Math.max(width, height));
  const fit = { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
  return cfg.convention === 'qwen2.5' ? smartResize(fit.width, fit.height) : fit;
}

const SCHEMA_ITEM = (key: string) => ({
  type: 'object',
  properties: { id: { type: 'integer' }, [key]: { type: ['array', 'null'], items: { type: 'number' } } },
  required: ['id', key],
  additionalProperties: false,
});

export class VlmGround implements GroundStage {
  readonly id: string;
  private readonly images: LruCache<Promise<SentImage>>;

  constructor(private readonly chat: ChatClient, private readonly config: VlmGroundConfig) {
    this.id = `ground:vlm:${chat.model}`;
    this.images = new LruCache(config.cacheSize);
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await this.sentImage(image, imageKey);
  }

  /** One box per expression in pixels of `image` (the stage's input frame), whatever frame the model answered in. */
  async ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
    if (expressions.length === 0) return [];
    const { url, sent } = await this.sentImage(image, imageKey);
    const parts = expressions.map(parseExpression);
    const key = this.config.convention === 'gemini' ? 'box_2d' : 'bbox_2d';
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You locate named entities in images and answer with JSON only.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url } },
          { type: 'text', text: groundingPrompt(parts.map((p) => ({ name: p.name, description: p.description.replace(/[\s.]+$/, '') })), { convention: this.config.convention, sent }) },
        ],
      },
    ];
    const request = {
      messages,
      maxTokens: 64 + 48 * expressions.length,
      jsonSchema: { name: 'entity_boxes', schema: { type: 'object', properties: { boxes: { type: 'array', items: SCHEMA_ITEM(key) } }, required: ['boxes'], additionalProperties: false } },
    };
    const qwen: QwenConvention = this.config.convention === 'gemini' ? 'qwen3' : this.config.convention;
    const names = parts.map((p) => p.name);
    const frame = { width: image.width, height: image.height };
    let reason = '';
    // An unreadable answer gets one more try, as the recognizer does; then the stage fails.
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await this.chat.complete(request);
      const r = readGroundingAnswer(answer.content, names, frame, sent, qwen);
      if (r.ok) return r.boxes;
      reason = r.reason;
    }
    throw new ProblemError('stage-failed', `the grounding model ${this.chat.model} answered twice without a readable box list (${reason})`, { extensions: { dependency: 'ground' } });
  }

  private sentImage(image: RgbaImage, imageKey: string): Promise<SentImage> {
    return this.images.getOrCreate(imageKey, async () => {
      const sent = sentSize(image.width, image.height, this.config);
      const pixels = sent.width === image.width && sent.height === image.height ? image : resize(image, sent.width, sent.height, 'bilinear');
      return { url: `data:image/png;base64,${bytesToBase64(encodePngRgb(pixels))}`, sent };
    });
  }
}
