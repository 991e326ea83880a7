/** The body of POST /v1/recognize (and of each job request): JSON or multipart, checked into one RecognizeCall. */
import type { Context } from 'hono';
import { PostTextSchema, RecognizeOptionsSchema, RecognizeRequestSchema, type RecognizeOptions } from '../../../shared/api/schemas';
import type { FieldError } from '../../../shared/problems';
import type { AppEnv } from '../env';
import { fieldErrors, validationError } from '../problem';
import type { RecognizeCall } from './run';
import type { IntakeSource } from '../../../shared/image/intake';

/** Both body types end as the same checked request; the app's middleware already refused other types. */
export async function parseRecognizeRequest(c: Context<AppEnv>): Promise<RecognizeCall> {
  if (c.get('mediaType') === 'application/json') {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (e) {
      throw validationError([{ pointer: '#', detail: `Malformed JSON: ${(e as Error).message}` }]);
    }
    const checked = RecognizeRequestSchema.safeParse(raw);
    if (!checked.success) throw validationError(fieldErrors(checked.error));
    const body = checked.data;
    const source: IntakeSource = 'url' in body.image
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
