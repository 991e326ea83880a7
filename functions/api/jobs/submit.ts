/**
 * Job submission, shared by POST /v1/jobs, POST /v1/batch and POST /v1/hooks/{source}: checks each
 * item's callback URL and size, writes the job rows (one D1 transaction), then puts one message per job
 * on the JOBS queue. The message carries only `{ v: 1, job_id }`; the row is the job.
 */
import { bytesToBase64 } from '../../../shared/base64';
import { ProblemError, type FieldError } from '../../../shared/problems';
import type { ApiBindings, JobHolds } from '../env';
import type { RecognizeCall } from '../recognize';
import { checkCallbackUrl } from './callback-url';
import { jobsConfig } from './config';
import type { JobRequest } from './schemas';
import {
  deleteJobsStatement, insertJobStatement, jobsDb, newJobId, newWebhookId, type NewJobRow, type StoredInput,
} from './store';

export interface JobMessage {
  v: 1;
  job_id: string;
}

export interface JobItem {
  input: StoredInput;
  callbackUrl: string | null;
  /** JSON pointer prefix of the item in the request, for errors (e.g. `#/items/3`). */
  pointer: string;
}

export interface Accepted {
  id: string;
  status: 'queued';
  status_url: string;
}

/** A checked request (JSON or multipart) in its stored form: the JSON body of /v1/recognize. */
export function storedInput(call: RecognizeCall): StoredInput {
  const s = call.source;
  const image = s.kind === 'url' ? { url: s.url }
    : s.kind === 'base64' ? { data: s.data, ...(s.media_type ? { media_type: s.media_type } : {}) }
    : { data: bytesToBase64(s.bytes), ...(isMediaType(s.media_type) ? { media_type: s.media_type } : {}) };
  return { text: call.text, image, options: call.options } as StoredInput;
}

/** The stored input back as the call runRecognition takes. */
export function callOf(input: StoredInput): RecognizeCall {
  const img = input.image;
  return {
    text: input.text,
    source: 'url' in img ? { kind: 'url', url: img.url } : { kind: 'base64', data: img.data, media_type: img.media_type },
    options: input.options,
  };
}

export const itemOf = (req: JobRequest, pointer: string, fallbackCallback?: string | null): JobItem => {
  const { callback_url, ...input } = req;
  return { input, callbackUrl: callback_url ?? fallbackCallback ?? null, pointer };
};

/**
 * Creates the jobs of `items` for key `keyId`, all or none: 422 callback-url-refused or 413 naming each
 * refused item, 503 jobs-unavailable when the queue refuses the messages (no job is left behind).
 */
export async function submitJobs(
  env: ApiBindings,
  opts: {
    keyId: string; origin: string; batchId?: string; statusBase: string;
    /** Statements written in the same transaction as the job rows (and undone with them), given the first job id. */
    alongside?: (db: D1Database, firstJobId: string) => { write: D1PreparedStatement[]; undo: D1PreparedStatement[] };
    /** The submitting request's quota reservation, turned into one held unit per job before any is queued. */
    holds?: JobHolds;
  },
  items: JobItem[],
): Promise<Accepted[]> {
  const cfg = jobsConfig(env);
  const urlErrors: FieldError[] = [];
  const sizeErrors: FieldError[] = [];
  const created = new Date().toISOString();
  const rows: NewJobRow[] = items.map((item, i) => {
    let callback: string | null = null;
    if (item.callbackUrl !== null) {
      try {
        callback = checkCallbackUrl(item.callbackUrl, cfg.allowInsecureCallbackUrls).href;
      } catch (e) {
        if (!(e instanceof ProblemError)) throw e;
        urlErrors.push({ pointer: `${item.pointer}/callback_url`, detail: e.message });
      }
    }
    const input = JSON.stringify(item.input);
    const size = new TextEncoder().encode(input).byteLength;
    if (size > cfg.maxInputBytes) {
      sizeErrors.push({ pointer: `${item.pointer}/image`, detail: `The job's request is ${size} bytes; jobs hold at most ${cfg.maxInputBytes} (JOB_MAX_INPUT_BYTES). Send the image as image.url.` });
    }
    const id = newJobId();
    return {
      id, key_id: opts.keyId, origin: opts.origin, batch_id: opts.batchId ?? null, batch_index: opts.batchId ? i : null, input,
      status_url: new URL(`/v1/jobs/${id}`, opts.statusBase).href, callback_url: callback, webhook_id: newWebhookId(), created_at: created,
    };
  });
  if (urlErrors.length) {
    throw new ProblemError('callback-url-refused', urlErrors.length === 1 ? urlErrors[0].detail : `${urlErrors.length} callback URLs were refused.`, { extensions: { errors: urlErrors } });
  }
  if (sizeErrors.length) {
    throw new ProblemError('image-too-large', sizeErrors[0].detail, { extensions: { errors: sizeErrors, limit_bytes: cfg.maxInputBytes } });
  }

  const queue = env.JOBS as Queue<JobMessage> | undefined;
  if (!queue) throw new ProblemError('jobs-unavailable', 'The Worker has no JOBS queue binding; see wrangler.toml and the README, Jobs.');
  const db = jobsDb(env);
  const extra = opts.alongside?.(db, rows[0].id) ?? { write: [], undo: [] };
  const ids = rows.map((r) => r.id);
  // Held before the rows exist: a consumer that runs a job at once finds its unit already held.
  await opts.holds?.take(ids);
  const release = () => opts.holds?.release(ids).catch(() => undefined);
  try {
    await db.batch([...extra.write, ...rows.map((r) => insertJobStatement(db, r))]);
  } catch (e) {
    await release();
    throw e;
  }
  try {
    const messages = rows.map((r) => ({ body: { v: 1, job_id: r.id } as JobMessage, contentType: 'json' as const }));
    if (messages.length === 1) await queue.send(messages[0].body, { contentType: 'json' });
    else await queue.sendBatch(messages);
  } catch (e) {
    await db.batch([...extra.undo, deleteJobsStatement(db, ids)]).catch(() => undefined);
    await release();
    throw new ProblemError('jobs-unavailable', 'The job queue did not take the job; nothing was created. Retry shortly.', { retryAfter: 5, cause: e });
  }
  return rows.map((r) => ({ id: r.id, status: 'queued', status_url: r.status_url }));
}

const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
const isMediaType = (t: string | undefined): t is (typeof MEDIA_TYPES)[number] => !!t && (MEDIA_TYPES as readonly string[]).includes(t);
