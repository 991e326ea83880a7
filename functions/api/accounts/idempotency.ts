/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the key and the request's fingerprint that
 * the meter (meter.ts) keeps with it, and the stored answer a retry replays. The meter decides; this file
 * only says what a key is, what makes two requests "the same" and what of an answer is kept.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { problemResponse } from '../problem';
import { wantsEventStream } from '../recognize/event-stream';
import { sha256Hex } from '../../../shared/store/sha256';
import type { StoredResponse } from './meter';

/** A POST's Idempotency-Key and the fingerprint of its request. */
export type Idem = { key: string; fingerprint: string };

/** Headers not kept with a stored answer: they belong to the request that replays it. */
const NOT_REPLAYED = new Set(['x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after', 'content-length', 'date', 'set-cookie']);

/**
 * The request's Idempotency-Key with its fingerprint; undefined without one (and on every method but POST);
 * a 400 answer when the field is malformed.
 */
export async function idempotencyOf(c: Context<AppEnv>): Promise<Idem | undefined | Response> {
  const raw = c.req.method === 'POST' ? c.req.header('idempotency-key') : undefined;
  if (raw === undefined) return undefined;
  const key = parseIdempotencyKey(raw);
  if (!key) {
    return problemResponse(c, 'idempotency-key-invalid',
      'Idempotency-Key must be 1 to 255 printable ASCII characters, as a token or a quoted string (a UUID is recommended).');
  }
  return { key, fingerprint: await requestFingerprint(c) };
}

/**
 * The Idempotency-Key field value: an RFC 8941 string (`"..."`) as the draft specifies, or, as most
 * clients send it, a bare token. Returns null when it is not 1 to 255 printable ASCII characters.
 */
export function parseIdempotencyKey(raw: string): string | null {
  const v = raw.trim();
  let key = v;
  if (v.startsWith('"')) {
    if (v.length < 2 || !v.endsWith('"')) return null;
    key = '';
    for (let i = 1; i < v.length - 1; i++) {
      const ch = v[i];
      if (ch === '\\') {
        const nx = v[++i];
        if (nx !== '"' && nx !== '\\') return null;
        key += nx;
      } else if (ch === '"') return null;
      else key += ch;
    }
  } else if (/[",\s]/.test(v)) return null;
  return key.length >= 1 && key.length <= 255 && /^[\x20-\x7e]+$/.test(key) ? key : null;
}

/**
 * What makes two requests "the same": method, path, media type, the answer's form (Accept: an event
 * stream or JSON) and body. A multipart body is compared
 * by its parts (names, values, file names, types and bytes), since every client picks its own boundary.
 */
export async function requestFingerprint(c: Context<AppEnv>): Promise<string> {
  const type = c.req.header('content-type') ?? '';
  // the body middleware (app.ts) parsed it before accounting runs; the raw header keeps the multipart boundary
  const essence = c.get('mediaType') ?? '';
  const body = await c.req.arrayBuffer();
  let digest: string | null = null;
  if (essence === 'multipart/form-data') {
    try {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const parts: unknown[] = [];
      for (const [name, v] of form) {
        parts.push(typeof v === 'string' ? [name, v] : [name, v.name, v.type, await sha256Hex(await v.arrayBuffer())]);
      }
      digest = await sha256Hex(JSON.stringify(parts));
    } catch {
      // Not parseable as multipart: compare the bytes; the route will answer 422 either way.
    }
  }
  digest ??= await sha256Hex(body);
  // The form of the answer is part of the request: an event stream must not replay to a JSON retry.
  const form = wantsEventStream(c.req.header('accept')) ? 'text/event-stream' : 'application/json';
  return sha256Hex(`${c.req.method} ${c.req.path}\n${essence}\n${form}\n${digest}`);
}

/** The header fields of an answer that are kept for its replays. */
export function replayedHeaders(res: Response): [string, string][] {
  return [...res.headers].filter(([k]) => !NOT_REPLAYED.has(k));
}

/** A stored answer, sent again. */
export function replay(r: StoredResponse): Response {
  const res = new Response(r.body, { status: r.status, headers: r.headers });
  res.headers.set('idempotent-replayed', 'true');
  return res;
}
