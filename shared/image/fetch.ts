/**
 * Fetching an image by URL under three caps: bytes (counted while streaming; Content-Length is only
 * used to refuse early, never trusted), time (one deadline for redirects, headers and body) and
 * redirects (followed by hand so every Location passes the URL policy again).
 */
import { describeNetFailure } from '../net-failure';
import { ProblemError } from '../problems';
import { checkImageUrl } from './url-policy';

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  allowInsecureUrls: boolean;
}

export interface Fetched {
  bytes: Uint8Array;
  /** The Content-Type the host declared, if any. */
  media_type?: string;
  /** The URL the bytes finally came from (after redirects). */
  url: string;
}

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchImage(rawUrl: string, limits: FetchLimits, fetchFn: FetchFn = fetch, signal?: AbortSignal): Promise<Fetched> {
  let url = checkImageUrl(rawUrl, limits.allowInsecureUrls);
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const all = signal ? AbortSignal.any([signal, deadline]) : deadline;
  // Raced against every await: a host (or an injected fetch) may ignore the signal.
  const stop = rejectOnAbort(all);
  try {
    for (let hop = 0; ; hop++) {
      const init: RequestInit = { redirect: 'manual', signal: all, headers: { accept: 'image/jpeg, image/png, image/webp' } };
      const res = await Promise.race([fetchFn(url.href, init), stop.promise]);
      if (REDIRECTS.has(res.status)) {
        discard(res);
        const location = res.headers.get('location');
        if (!location) throw failed(`The image host ${url.host} answered ${res.status} without a Location.`);
        if (hop >= limits.maxRedirects) throw failed(`The image URL redirected more than ${limits.maxRedirects} times (last hop from ${url.host}).`);
        url = checkRedirect(location, url, limits.allowInsecureUrls);
        continue;
      }
      if (!res.ok) {
        discard(res);
        // The host's reason phrase is its own text: logged, not shown.
        throw failed(`The image host ${url.host} answered HTTP ${res.status}.`, { upstream_status: res.status }, new Error(`HTTP ${res.status} ${res.statusText}`));
      }
      const declared = Number(res.headers.get('content-length'));
      if (declared > limits.maxBytes) {
        discard(res);
        throw tooLarge(`The image at ${url.host} is ${declared} bytes (Content-Length), over the ${limits.maxBytes}-byte limit.`, limits.maxBytes);
      }
      const bytes = await readCapped(res, limits.maxBytes, stop.promise, url.host);
      return { bytes, media_type: res.headers.get('content-type') ?? undefined, url: url.href };
    }
  } catch (e) {
    if (deadline.aborted && !signal?.aborted) {
      throw new ProblemError('image-fetch-timeout', `The image host ${url.host} did not deliver the image within ${limits.timeoutMs} ms.`, { cause: e });
    }
    if (e instanceof ProblemError || signal?.aborted) throw e;
    throw failed(`Could not fetch the image from ${url.host}: ${describeNetFailure(e)}.`, {}, e);
  } finally {
    stop.dispose();
  }
}

function rejectOnAbort(signal: AbortSignal) {
  let onAbort = () => undefined as void;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function checkRedirect(location: string, from: URL, allowInsecure: boolean): URL {
  try {
    return checkImageUrl(new URL(location, from), allowInsecure);
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    throw new ProblemError('image-url-refused', `The image URL redirected (from ${from.host}) to a refused URL: ${e.message}`, { cause: e });
  }
}

/** Reads the body, stopping as soon as the count passes maxBytes. */
async function readCapped(res: Response, maxBytes: number, aborted: Promise<never>, host: string): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge(`The image at ${host} is larger than the ${maxBytes}-byte limit (stopped reading at ${total} bytes).`, maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    throw e;
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/** Not awaited: a host that stalls its body must not hold up the answer. */
const discard = (res: Response) => void res.body?.cancel().catch(() => undefined);

const failed = (detail: string, extensions: Record<string, unknown> = {}, cause?: unknown) =>
  new ProblemError('image-fetch-failed', detail, { extensions, cause });

const tooLarge = (detail: string, limit: number) => new ProblemError('image-too-large', detail, { extensions: { limit_bytes: limit } });
