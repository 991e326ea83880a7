/**
 * A typed client for the GMNER edge API, for TypeScript users, the demo page (web/) and
 * `npm run eval -- --api`. Types come from the zod schemas that also generate /openapi.json, so a
 * change of the API's shape breaks this file's type check rather than its callers at run time.
 * Only `fetch` is used: it runs in browsers, Node 18+ and Workers.
 *
 *   const api = createClient({ baseUrl: 'http://localhost:8787', apiKey: process.env.KEY });
 *   const answer = await api.recognize({ text, image: { url } });
 *   for await (const e of api.recognizeStream({ text, image: { url }, options: { masks: true } })) ...
 */
import type { z } from '@hono/zod-openapi';
import type { AnswerEntity, RecognizeAnswer, RecognizeRequestSchema } from '../api/schemas';
import type { Job, JobRequest } from '../../functions/api/jobs/schemas';
import type { StageKind } from '../pipeline/contracts';
import { readSse } from './sse';

export type { AnswerEntity, RecognizeAnswer, Job };
/** What a caller may send (defaults filled in by the server). */
export type RecognizeInput = z.input<typeof RecognizeRequestSchema>;
export type JobInput = RecognizeInput & Pick<Partial<JobRequest>, 'callback_url'>;

/** RFC 9457 problem details, as every error answer and the stream's `error` event carry them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id?: string;
  errors?: { pointer: string; detail: string }[];
  [extra: string]: unknown;
}

/** The events of `POST /v1/recognize` with `Accept: text/event-stream` (functions/api/recognize/event-stream.ts). */
export type StreamEvent =
  | { event: 'entities'; data: { entities: AnswerEntity[]; dropped: RecognizeAnswer['dropped'] } }
  | { event: 'entity'; data: { stage: StageKind; index: number; entity: AnswerEntity } }
  | { event: 'answer'; data: RecognizeAnswer }
  | { event: 'error'; data: Problem };

export interface JobAccepted {
  id: string;
  status: Job['status'];
  status_url: string;
}

/** An answer that is not 2xx. `problem` is the problem+json body (or one made from a non-problem body). */
export class ApiError extends Error {
  constructor(readonly problem: Problem, readonly response?: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }

  /** Seconds from Retry-After, when the service sent one (429, 503). */
  get retryAfterS(): number | undefined {
    const v = Number(this.response?.headers.get('retry-after'));
    return v > 0 ? v : undefined;
  }
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
  idempotencyKey?: string;
}

export function createClient(opts: ClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));

  async function call(method: string, path: string, body: RecognizeInput | JobInput | FormData | undefined, accept: string, o: CallOptions = {}) {
    const headers: Record<string, string> = { accept };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body; // fetch sets the multipart boundary
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await doFetch(`${base}${path}`, { method, headers, body: payload, signal: o.signal });
    if (!res.ok) throw new ApiError(await problemOf(res), res);
    return res;
  }

  return {
    /** POST /v1/recognize, the whole answer at once. */
    async recognize(body: RecognizeInput | FormData, o?: CallOptions): Promise<RecognizeAnswer> {
      return (await call('POST', '/v1/recognize', body, 'application/json', o)).json() as Promise<RecognizeAnswer>;
    },
    /**
     * POST /v1/recognize as Server-Sent Events: `entities`, then `entity` per stage and entity, then
     * `answer` or `error`. A failure before the first event throws ApiError like `recognize`.
     */
    async *recognizeStream(body: RecognizeInput | FormData, o?: CallOptions): AsyncGenerator<StreamEvent> {
      const res = await call('POST', '/v1/recognize', body, 'text/event-stream', o);
      if (!res.body) throw new Error('the stream answer has no body');
      for await (const e of readSse(res.body)) yield { event: e.event, data: JSON.parse(e.data) } as StreamEvent;
    },
    /** POST /v1/jobs: 202 with the job's id and status_url; the outcome goes to `callback_url`, if given. */
    async createJob(body: JobInput | FormData, o?: CallOptions): Promise<JobAccepted> {
      return (await call('POST', '/v1/jobs', body, 'application/json', o)).json() as Promise<JobAccepted>;
    },
    /** GET /v1/jobs/{id}. */
    async getJob(id: string, o?: CallOptions): Promise<Job> {
      return (await call('GET', `/v1/jobs/${encodeURIComponent(id)}`, undefined, 'application/json', o)).json() as Promise<Job>;
    },
    /** Polls GET /v1/jobs/{id} until the outcome is stored (`delivering`, `succeeded` or `failed`). */
    async waitForJob(id: string, o: CallOptions & { intervalMs?: number; timeoutMs?: number } = {}): Promise<Job> {
      const until = Date.now() + (o.timeoutMs ?? 120_000);
      for (;;) {
        const job = await this.getJob(id, o);
        if (job.status !== 'queued' && job.status !== 'running') return job;
        if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${o.timeoutMs ?? 120_000} ms`);
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
      }
    },
  };
}

export type GmnerClient = ReturnType<typeof createClient>;

/** The problem+json body of a failed answer; anything else (a proxy's HTML page) becomes a problem too. */
export async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body.title === 'string') return { type: 'about:blank', detail: '', status: res.status, ...body } as Problem;
  } catch {
    // not JSON: fall through
  }
  return { type: 'about:blank', title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 300) };
}
