/**
 * One POST {base}/v1/recognize for the evaluation driver, through the public typed client
 * (shared/client). Uses only fetch, so it runs in Node and Workers.
 * Retries are few and only for answers that can change on a retry (network, 408, 429, 5xx), because
 * a long evaluation must neither hammer a struggling service nor stop on one transient failure.
 */
import { bytesToBase64 } from '../base64';
import { ApiError, createClient, type RecognizeInput } from '../client';
import { sniffFormat } from '../image/header';
import { MEDIA_TYPES } from '../image/types';
import type { LabelSet } from '../pipeline/contracts';

/** By magic bytes (shared/image's rule): the dataset names every file .jpg whatever it holds. */
export function sniffMediaType(b: Uint8Array): string | undefined {
  const f = sniffFormat(b);
  return f ? MEDIA_TYPES[f] : undefined;
}

/** One evaluation post as the driver sends it: where the API is, the post, and the options scored. */
export interface EvalPost {
  baseUrl: string;
  text: string;
  image: Uint8Array;
  apiKey?: string;
  labels?: LabelSet;
  masks?: boolean;
  timeoutMs?: number;
}

/** The JSON request, typed by the public client (shared/client) so it cannot drift from the API. */
export function recognizeRequest(c: EvalPost): RecognizeInput {
  const media = sniffMediaType(c.image) as 'image/jpeg' | 'image/png' | 'image/webp' | undefined;
  return {
    text: c.text,
    image: { data: bytesToBase64(c.image), ...(media ? { media_type: media } : {}) },
    options: { labels: c.labels ?? 'gmner', masks: c.masks ?? false },
  };
}

export function recognizeRequestBody(c: EvalPost): string {
  return JSON.stringify(recognizeRequest(c));
}

export class RecognizeError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    /** from a Retry-After header in seconds, when the service sent one */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The answer's `entities` (the rest of the answer is not needed for scoring), through the typed client. */
export async function recognize(c: EvalPost, fetchImpl: typeof fetch = fetch): Promise<{ entities: unknown[] }> {
  const api = createClient({ baseUrl: c.baseUrl, apiKey: c.apiKey, fetch: fetchImpl });
  let answer: unknown;
  try {
    answer = await api.recognize(recognizeRequest(c), { signal: AbortSignal.timeout(c.timeoutMs ?? 120_000) });
  } catch (e) {
    if (e instanceof ApiError) {
      const retryable = e.status === 408 || e.status === 429 || e.status >= 500;
      const after = e.retryAfterS;
      throw new RecognizeError(`HTTP ${e.status}: ${e.problem.title}${e.problem.detail ? `: ${e.problem.detail}` : ''}`, e.status, retryable, after ? after * 1000 : undefined);
    }
    if (e instanceof SyntaxError) throw new RecognizeError(`answer is not JSON: ${e.message}`, 200, false);
    throw new RecognizeError(`request failed: ${(e as Error).message}`, null, true);
  }
  const entities = (answer as { entities?: unknown })?.entities;
  if (!Array.isArray(entities)) throw new RecognizeError('answer has no entities array', 200, false);
  return { entities };
}

export async function recognizeWithRetry(
  c: EvalPost,
  opts: { retries?: number; backoffMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<{ entities: unknown[] }> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await recognize(c, opts.fetchImpl);
    } catch (e) {
      if (!(e instanceof RecognizeError) || !e.retryable || attempt >= retries) throw e;
      // honour the service's Retry-After, but never park a lane for more than a minute
      const wait = Math.min(60_000, e.retryAfterMs ?? (opts.backoffMs ?? 1000) * 2 ** attempt);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
