/**
 * The public API's request and answer shapes. These zod schemas are the single source of truth:
 * the routes validate with them and /openapi.json is generated from them.
 */
import { z } from '@hono/zod-openapi';
import { LABEL_SETS, PLACEMENTS, STAGE_KINDS } from '../pipeline/contracts';

/** The longest post, in UTF-16 units, for every way a post comes in (JSON, multipart, jobs, batches). */
export const MAX_TEXT_CHARS = 10_000;

export const PostTextSchema = z.string().min(1).max(MAX_TEXT_CHARS);

export const LabelSetSchema = z.enum(LABEL_SETS).openapi({
  description: '`gmner`: PER, LOC, ORG, OTHER. `fmnerg`: the 8 coarse Twitter-FMNERG types with 51 fine types.',
});

export const RecognizeOptionsSchema = z
  .object({
    labels: LabelSetSchema.default('gmner'),
    masks: z.boolean().default(false).openapi({ description: 'Also return a pixel mask (SMNER) for every grounded entity.' }),
    caption: z.string().max(4000).optional().openapi({ description: "A caption of the image, used in the LLM prompt (RiVEG's image 'Background')." }),
    vision: z.enum(['server', 'none']).optional().openapi({
      description: '`server` (the default): the API runs entailment, grounding and segmentation. `none`: recognition only (entities and '
        + 'expansions; `groundable`, `entailment_score`, `box` and `mask` are null, and `models` and `warnings` say so) for a client that runs '
        + 'the vision stages itself, e.g. the demo page in the browser with the files of GET /v1/models/{id}/files/{name}. Billed the same one unit.',
    }),
  })
  .strict()
  .openapi('RecognizeOptions');

export const ImageUrlSchema = z
  .object({ url: z.string().url().max(2048).openapi({ example: 'https://example.com/photo.jpg' }) })
  .strict()
  .openapi('ImageByUrl');

export const ImageDataSchema = z
  .object({
    data: z.string().min(1).openapi({ description: 'Base64 (or a data: URL) of the image bytes.' }),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/webp']).optional().openapi({
      description: 'Declared type; the format is detected from the bytes, and a mismatch is reported in `warnings`.',
    }),
  })
  .strict()
  .openapi('ImageInline');

export const RecognizeRequestSchema = z
  .object({
    text: PostTextSchema.openapi({ example: 'Kevin Durant enters Oracle Arena wearing off-white Jordans' }),
    image: z.union([ImageUrlSchema, ImageDataSchema]),
    options: RecognizeOptionsSchema.default({ labels: 'gmner', masks: false }),
  })
  .strict()
  .openapi('RecognizeRequest');

export const RecognizeFormSchema = z
  .object({
    text: PostTextSchema,
    image: z.any().openapi({ type: 'string', format: 'binary', description: 'The image file.' }),
    options: z.string().optional().openapi({ description: 'The `options` object as a JSON string.', example: '{"labels":"gmner","masks":true}' }),
  })
  .openapi('RecognizeForm');

export const BoxSchema = z
  .object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number(), score: z.number() })
  .openapi('Box', { description: 'Pixels of the image as displayed (after EXIF orientation); x1,y1 top-left, x2,y2 bottom-right.' });

export const MaskSchema = z
  .object({
    size: z.tuple([z.number().int(), z.number().int()]).openapi({ description: '[height, width]' }),
    counts: z.string().openapi({ description: 'COCO compressed RLE (column-major), as pycocotools encodes it.' }),
    area: z.number().int().optional(),
    score: z.number().optional(),
  })
  .openapi('Mask');

export const EntitySchema = z
  .object({
    text: z.string(),
    start: z.number().int().openapi({ description: 'UTF-16 offset: text.slice(start, end) === entity.text' }),
    end: z.number().int(),
    type: z.string().openapi({ example: 'PER' }),
    fine_type: z.string().nullable(),
    expansion: z.string().openapi({ description: 'The entity expansion expression the vision stages query with.' }),
    groundable: z.boolean().nullable().openapi({ description: 'Whether the entity is visible in the image; null when no entailment stage is configured.' }),
    entailment_score: z.number().nullable(),
    box: BoxSchema.nullable(),
    mask: MaskSchema.nullable(),
  })
  .openapi('Entity');

export const DroppedSchema = z
  .object({ text: z.string(), type: z.string().nullable(), reason: z.string() })
  .openapi('DroppedEntity', { description: 'An entity the LLM named that could not be placed in the text, or mentions over MAX_ENTITIES_PER_POST (one entry per name and type; `reason` gives the count).' });

export const StageModelSchema = z
  .object({
    stage: z.enum(['recognize', ...STAGE_KINDS]),
    configured: z.boolean(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    placement: z.enum(PLACEMENTS).nullable(),
    loaded: z.boolean().nullable(),
    detail: z.string().optional(),
  })
  .openapi('StageModel');

export const UsageSchema = z
  .object({
    llm_calls: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
  })
  .openapi('Usage');

export const RecognizeAnswerSchema = z
  .object({
    id: z.string().openapi({ description: 'The request id (also in the x-request-id header).' }),
    image: z.object({ width: z.number().int(), height: z.number().int(), format: z.string() }),
    entities: z.array(EntitySchema),
    dropped: z.array(DroppedSchema),
    models: z.record(z.string(), StageModelSchema),
    timings_ms: z.record(z.string(), z.number()),
    usage: UsageSchema,
    warnings: z.array(z.string()),
  })
  .openapi('RecognizeAnswer');

export const ProblemSchema = z
  .object({
    type: z.string().url(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .passthrough()
  .openapi('Problem', { description: 'RFC 9457 problem details.' });

export type RecognizeRequest = z.infer<typeof RecognizeRequestSchema>;
export type RecognizeOptions = z.infer<typeof RecognizeOptionsSchema>;
export type RecognizeAnswer = z.infer<typeof RecognizeAnswerSchema>;
export type AnswerEntity = z.infer<typeof EntitySchema>;
export type StageModel = z.infer<typeof StageModelSchema>;
