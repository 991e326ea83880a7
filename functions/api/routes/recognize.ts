import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  PostTextSchema, ProblemSchema, RecognizeAnswerSchema, RecognizeFormSchema, RecognizeOptionsSchema, RecognizeRequestSchema, type RecognizeOptions,
} from '../../../shared/api/schemas';
import { mediaType } from '../../../shared/media-type';
import type { FieldError } from '../../../shared/problems';
import type { AppEnv } from '../env';
import { fieldErrors, validationError } from '../problem';
import { recognizePost, type RecognizeCall } from '../recognize-service';
import { createRouter } from '../router';
import { streamRecognize, wantsEventStream } from '../stream';
import type { ImageSource } from '../wiring';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

const route = createRoute({
  method: 'post',
  path: '/v1/recognize',
  tags: ['recognition'],
  summary: 'Named entities of a post with their expansion, groundability, box and (optionally) mask.',
  request: {
    body: {
      required: true,
      content: {
        // References, not zod schemas: with a required body zod-openapi would run the JSON and the form
        // validator on every request whatever its type. parseRequest() validates each type itself.
        'application/json': { schema: { $ref: '#/components/schemas/RecognizeRequest' } },
        'multipart/form-data': { schema: { $ref: '#/components/schemas/RecognizeForm' } },
      },
    },
  },
  responses: {
    200: {
      description: 'The entities; with `Accept: text/event-stream`, Server-Sent Events as the answer is made: `entities` after the LLM, '
        + '`entity` ({stage, index, entity}) as each stage fills one, then `answer` (this JSON) or `error` (a problem)',
      content: {
        'application/json': { schema: RecognizeAnswerSchema },
        'text/event-stream': { schema: { type: 'string' } },
      },
    },
    413: problem('Body or image too large'),
    415: problem('Unsupported media type (of the body or of the image)'),
    422: problem('Validation failed'),
    502: problem('An upstream dependency (LLM, image host, model store, vision stage) failed'),
    503: problem('No LLM configured, or an upstream is unavailable'),
    504: problem('An upstream dependency timed out'),
  },
});

export const recognize = createRouter();
recognize.openAPIRegistry.register('RecognizeRequest', RecognizeRequestSchema);
recognize.openAPIRegistry.register('RecognizeForm', RecognizeFormSchema);
recognize.openapi(route, async (c) => {
  const call = await parseRecognizeRequest(c);
  if (wantsEventStream(c.req.header('accept'))) return streamRecognize(c, call);
  const answer = await recognizePost(c.env, call, c.get('requestId'), c.req.raw.signal);
  c.set('timings', answer.timings_ms);
  return c.json(answer, 200);
});

/** Both body types end as the same checked request; the app's middleware already refused other types. */
export async function parseRecognizeRequest(c: Context<AppEnv>): Promise<RecognizeCall> {
  const type = mediaType(c.req.header('content-type'));
  if (type === 'application/json') {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (e) {
      throw validationError([{ pointer: '#', detail: `Malformed JSON: ${(e as Error).message}` }]);
    }
    const checked = RecognizeRequestSchema.safeParse(raw);
    if (!checked.success) throw validationError(fieldErrors(checked.error));
    const body = checked.data;
    const source: ImageSource = 'url' in body.image
      ? { kind: 'url', url: body.image.url }
      : { kind: 'base64', data: body.image.data, media_type: body.image.media_type };
    return { text: body.text, source, options: body.options };
  }
  const form = await c.req.formData();
  const text = form.get('text');
  const image = form.get('image');
  const rawOptions = form.get('options');
  const errors: FieldError[] = [];
  if (typeof text !== 'string' || text.length === 0) errors.push({ pointer: '#/text', detail: 'Required: a non-empty string field' });
  else {
    const checked = PostTextSchema.safeParse(text);
    if (!checked.success) errors.push(...fieldErrors(checked.error).map((e) => ({ ...e, pointer: '#/text' })));
  }
  if (!(image instanceof File)) errors.push({ pointer: '#/image', detail: 'Required: a file part' });
  let options: RecognizeOptions = { labels: 'gmner', masks: false };
  if (rawOptions !== null) {
    let json: unknown;
    try {
      json = JSON.parse(String(rawOptions));
    } catch {
      errors.push({ pointer: '#/options', detail: 'Must be a JSON object' });
    }
    if (json !== undefined) {
      const r = RecognizeOptionsSchema.safeParse(json);
      if (r.success) options = r.data;
      else errors.push(...fieldErrors(r.error).map((e) => ({ ...e, pointer: '#/options' + e.pointer.slice(1) })));
    }
  }
  if (errors.length) throw validationError(errors);
  const file = image as File;
  return {
    text: text as string,
    source: { kind: 'bytes', bytes: new Uint8Array(await file.arrayBuffer()), media_type: file.type || undefined },
    options,
  };
}
