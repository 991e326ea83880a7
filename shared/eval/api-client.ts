/**
 * One POST {base}/v1/recognize for the evaluation driver, with the request body the public API takes
 * (shared/api/schemas.ts RecognizeRequestSchema). Uses only fetch, so it runs in Node and Workers.
 * Retries are few and only for answers that can change on a retry (network, 408, 429, 5xx), because
 * a long evaluation must neither hammer a struggling service nor stop on one transient failure.
 */
import { sniffFormat } from '../image/header';
import { MEDIA_TYPES } from '../image/types';

/** By magic bytes (shared/image's rule): the dataset names every file .jpg whatever it holds. */
export function sniffMediaType(b: Uint8Array): string | undefined {
  const f = sniffFormat(b);
  return f ? MEDIA_TYPES[f] : undefined;
}

export function bytesToBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface RecognizeCall {
  baseUrl: string;
  text: string;
  image: Uint8Array;
  apiKey?: string;
  labels?: 'gmner' | 'fmnerg';
  masks?: boolean;
  timeoutMs?: number;
}

export function recognizeRequestBody(c: RecognizeCall): string {
  const media = sniffMediaType(c.image);
  return JSON.stringify({
    text: c.text,
    image: { data: bytesToBase64(c.image), ...(media ? { media_type: media } : {}) },
    options: { labels: c.labels ?? 'gmner', masks: c.masks ?? false },
  });
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

/** The answer's `entities` (the rest of the answer is not needed for scoring). */
export async function recognize(c: RecognizeCall, fetchImpl: typeof fetch = fetch): Promise<{ entities: unknown[] }> {
  const url = `${c.baseUrl.replace(/\/+$/, '')}/v1/recognize`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(c.apiKey ? { authorization: `Bearer ${c.apiKey}` } : {}) },
      body: recognizeRequestBody(c),
      signal: AbortSignal.timeout(c.timeoutMs ?? 120_000),
    });
  } catch (e) {
    throw new RecognizeError(`request failed: ${(e as Error).message}`, null, true);
  }
  const body = await res.text();
  if (!res.ok) {
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    const after = Number(res.headers.get('retry-after'));
    throw new RecognizeError(`HTTP ${res.status}: ${body.slice(0, 300)}`, res.status, retryable, after > 0 ? after * 1000 : undefined);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RecognizeError(`answer is not JSON: ${body.slice(0, 120)}`, res.status, false);
  }
  const entities = (json as { entities?: unknown })?.entities;
  if (!Array.isArray(entities)) throw new RecognizeError('answer has no entities array', res.status, false);
  return { entities };
}

export async function recognizeWithRetry(
  c: RecognizeCall,
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
