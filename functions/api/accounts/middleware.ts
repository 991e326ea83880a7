/**
 * The accounting path of every /v1 request, one middleware after the body limit:
 *
 *   auth (Bearer key -> SHA-256 -> D1) -> [POST with Idempotency-Key: body fingerprint]
 *     -> one Durable Object call: rate limit, idempotency state, quota reservation -> route
 *     -> settle: bill or release the reservation, keep the answer for replays, write the usage record.
 *
 * Settling happens after the answer leaves (waitUntil), except that an answer under an
 * Idempotency-Key is stored before it is returned, so that an immediate retry replays it. A streamed
 * answer (text/event-stream) is settled when its stream ends.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { mediaType } from '../../../shared/media-type';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv, Metering } from '../env';
import { errorResponse, problemResponse } from '../problem';
import { wantsEventStream } from '../stream';
import { KEY_PATTERN, findKey, sha256Hex, type ApiKeyRow } from './keys';
import { QUOTA_POLICY, accountingConfig, limitHeaders, type AccountingConfig } from './limits';
import { MAX_STORED_BODY, type Admission, type ApiKeyMeter, type StoredResponse } from './meter';
import { MAX_BATCH_ITEMS } from '../jobs/schemas';
import { accountsDb, insertUsage, isBillableStatus, jobHoldsOf, meterFor } from './usage';

/** POST routes billed by this middleware without saying so themselves (1 unit per request). */
const BILLED_ROUTES = new Set(['/v1/recognize']);
const REALM = 'gmner';
/** Headers not kept with a stored answer: they belong to the request that replays it. */
const NOT_REPLAYED = new Set(['x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after', 'content-length', 'date', 'set-cookie']);

type Ctx = Context<AppEnv>;
type Meter = DurableObjectStub<ApiKeyMeter>;
type Idem = { key: string; fingerprint: string };

export function accounting(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = await authenticate(c);
    if (key instanceof Response) return key;
    c.set('apiKey', { id: key.id, name: key.name, webhook_secret: key.webhook_secret, quota: key.quota });

    const cfg = accountingConfig(c.env);
    const post = c.req.method === 'POST';
    let idem: Idem | undefined;
    const rawIdem = post ? c.req.header('idempotency-key') : undefined;
    if (rawIdem !== undefined) {
      const k = parseIdempotencyKey(rawIdem);
      if (!k) {
        return problemResponse(c, 'idempotency-key-invalid',
          'Idempotency-Key must be 1 to 255 printable ASCII characters, as a token or a quoted string (a UUID is recommended).');
      }
      idem = { key: k, fingerprint: await requestFingerprint(c) };
    }

    const meter = meterFor(c.env, key.id);
    const cost = post ? await declaredCost(c) : 0;
    let a: Admission;
    try {
      a = (await meter.admit({
        rateLimit: key.rate_limit ?? cfg.rateLimit, rateWindowSeconds: cfg.rateWindowSeconds, quota: key.quota, reserve: cost, idempotency: idem,
      })) as Admission;
    } catch (e) {
      throw new ProblemError('accounts-unavailable', 'The rate limiter did not answer; retry shortly.', { retryAfter: 1, cause: e });
    }
    const limits = limitHeaders(a.limits);
    const withLimits = (res: Response) => {
      for (const [k, v] of Object.entries(limits)) res.headers.set(k, v);
      return res;
    };
    switch (a.outcome) {
      case 'rate-limited':
      case 'quota-exceeded':
        return withLimits(errorResponse(c, a.outcome === 'quota-exceeded' && cost > 1 ? costRefusal(cost, a.limits.quota?.remaining ?? 0, key.quota, a.retryAfter) : refusal(a)));
      case 'in-flight':
        return withLimits(problemResponse(c, 'idempotency-conflict', 'A request with this Idempotency-Key is still being processed; retry after it completes to get its answer.', {}, 1));
      case 'mismatch':
        return withLimits(problemResponse(c, 'idempotency-mismatch', 'This Idempotency-Key was used with a different request (method, path or body); use a new key for a new request.'));
      case 'replay':
        return withLimits(replay(a.response));
    }

    if (post) {
      const admission = a.admission;
      c.set('reserveUnits', async (units) => {
        const r = await meter.extend({ admission, units, quota: key.quota });
        if (!r.ok) throw costRefusal(units, r.remaining, key.quota, r.retryAfter);
      });
      c.set('jobHolds', jobHoldsOf(meter, admission));
    }
    await next();
    for (const [k, v] of Object.entries(limits)) c.header(k, v);
    if (post) await settle(c, meter, a.admission, key, idem, cfg);
  };
}

/**
 * What a POST may cost, reserved at admission. A batch declares it: one unit per item. Reserving it at once, not
 * 1 at admission and the rest later, keeps concurrent batches from each holding a unit that the others need to
 * grow into (20 batches of 2 against a quota of 10 were all refused, none billed). The route still confirms the
 * count after validation (`reserveUnits`); a body that does not parse reserves 1 and is refused there.
 */
async function declaredCost(c: Ctx): Promise<number> {
  if (c.req.path !== '/v1/batch') return 1;
  try {
    const items = ((await c.req.json()) as { items?: unknown }).items;
    return Array.isArray(items) ? Math.min(Math.max(items.length, 1), MAX_BATCH_ITEMS) : 1;
  } catch {
    return 1;
  }
}

/** The 429 problem of a request that costs more units than the quota has left. */
function costRefusal(units: number, remaining: number, quota: number | null, retryAfter: number): ProblemError {
  return new ProblemError('quota-exceeded', `This request costs ${units} units; this key has ${remaining} of its quota of ${quota} left this month (UTC). It renews in ${retryAfter} s.`, {
    retryAfter, extensions: { 'violated-policies': [QUOTA_POLICY], cost_units: units, remaining_units: remaining },
  });
}

/** The 429 problem of a refused admission (rate or quota), for the middleware and the inbound hooks. */
export function refusal(a: Extract<Admission, { outcome: 'rate-limited' | 'quota-exceeded' }>): ProblemError {
  const extensions = { 'violated-policies': [a.violated] };
  if (a.outcome === 'rate-limited') {
    return new ProblemError('rate-limited', `This key may make ${a.limits.rate.limit} requests per ${a.limits.rate.window} s; retry in ${a.retryAfter} s.`, { extensions, retryAfter: a.retryAfter });
  }
  return new ProblemError('quota-exceeded', `This key's quota of ${a.limits.quota!.limit} units this month (UTC) is used up; it renews in ${a.retryAfter} s.`, { extensions, retryAfter: a.retryAfter });
}

async function authenticate(c: Ctx): Promise<ApiKeyRow | Response> {
  const header = c.req.header('authorization');
  const token = header?.match(/^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i)?.[1];
  if (!token) {
    return unauthorized(c, 'unauthorized', header ? 'The Authorization header must be `Bearer <key>`.' : 'Send your API key as `Authorization: Bearer <key>` (README, Accounts).', !!header);
  }
  let row: ApiKeyRow | null = null;
  if (KEY_PATTERN.test(token)) {
    try {
      row = await findKey(accountsDb(c.env), token);
    } catch (e) {
      if (e instanceof ProblemError) throw e;
      const missing = /no such table/i.test(String((e as Error)?.message));
      throw new ProblemError('accounts-unavailable', missing
        ? 'The accounts tables do not exist: apply the D1 migrations (`npm run keys -- migrate`, add `--remote` for a deployment).'
        : 'The accounts database did not answer; retry shortly.', { retryAfter: missing ? undefined : 1, cause: e });
    }
  }
  if (!row) return unauthorized(c, 'unauthorized', 'Unknown API key.', true);
  if (row.revoked_at) return unauthorized(c, 'key-revoked', `This API key was revoked at ${row.revoked_at}.`, true);
  return row;
}

function unauthorized(c: Ctx, kind: 'unauthorized' | 'key-revoked', detail: string, invalid: boolean): Response {
  const res = problemResponse(c, kind, detail);
  res.headers.set('www-authenticate', invalid ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`);
  return res;
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
export async function requestFingerprint(c: Ctx): Promise<string> {
  const type = c.req.header('content-type') ?? '';
  const essence = mediaType(type) ?? '';
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

function replay(r: StoredResponse): Response {
  const res = new Response(r.body, { status: r.status, headers: r.headers });
  res.headers.set('idempotent-replayed', 'true');
  return res;
}

/** The units a finished POST costs, or null when this request is not billed here. */
function meteringOf(c: Ctx, status: number, answer: unknown): Metering | null {
  if (!isBillableStatus(status)) return null;
  const declared = c.get('metering');
  if (declared === null) return null; // the route bills elsewhere (e.g. a job, when it runs)
  if (declared) return declared;
  if (!BILLED_ROUTES.has(c.req.path)) return null;
  const tokens = (answer as { usage?: { total_tokens?: unknown } } | null)?.usage?.total_tokens;
  return {
    units: 1,
    llm_tokens: status < 300 && typeof tokens === 'number' ? tokens : 0,
    model_ms: modelTime(c.get('timings')),
  };
}

/** Stage time spent in models (LLM, entailment, grounding, segmentation and their image encoders). */
export function modelTime(timings: Record<string, number> | undefined): number {
  let ms = 0;
  // llm_sent is a point in time (when the LLM request was handed over), not work
  for (const [k, v] of Object.entries(timings ?? {})) if (k !== 'intake' && k !== 'total' && k !== 'llm_sent' && Number.isFinite(v)) ms += v;
  return Math.round(ms);
}

function outcomeOf(status: number, answer: unknown): string {
  if (status >= 200 && status < 300) return 'ok';
  const type = (answer as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : `http-${status}`;
}

async function settle(c: Ctx, meter: Meter, admission: string, key: ApiKeyRow, idem: Idem | undefined, cfg: AccountingConfig): Promise<void> {
  const res = c.res;
  const status = res.status;
  const type = res.headers.get('content-type') ?? '';
  const requestId = c.get('requestId');
  const route = `${c.req.method} ${c.req.path}`;
  const headers = [...res.headers].filter(([k]) => !NOT_REPLAYED.has(k));
  const db = c.env.DB;

  const streamed = type.startsWith('text/event-stream') && !!res.body;
  /** Bills (or releases) the reservation and keeps (or forgets) the answer; returns what was billed. */
  const settleMeter = async (body: ArrayBuffer | null, complete: boolean) => {
    let answer: unknown = null;
    if (body && type.includes('json')) {
      try {
        answer = JSON.parse(new TextDecoder().decode(body));
      } catch {
        answer = null;
      }
    }
    // A stream's status line cannot tell how it ended: it is billed only as its route declares
    // (`metering`), and kept for replays only if billed, so that a stream that failed on our side
    // can be retried under the same key.
    const metering = !streamed || c.get('metering') ? meteringOf(c, status, answer) : null;
    const keep = complete && body && isBillableStatus(status) && (!streamed || metering !== null);
    await meter.settle({
      admission,
      units: metering?.units ?? 0,
      idempotency: idem && { key: idem.key, ttlSeconds: cfg.idempotencyTtlSeconds, response: keep ? { status, headers, body: body! } : null },
    });
    return { metering, answer };
  };
  const record = async ({ metering, answer }: { metering: Metering | null; answer: unknown }) => {
    if (!metering || !db) return;
    await insertUsage(db, {
      key_id: key.id, request_id: requestId, client_request_id: c.get('clientRequestId') ?? null, route, units: metering.units, llm_tokens: metering.llm_tokens ?? 0, model_ms: metering.model_ms ?? 0,
      status, outcome: outcomeOf(status, answer),
    });
  };
  const logError = (e: unknown) => {
    console.error(JSON.stringify({ level: 'error', request_id: requestId, key_id: key.id, route, status, error: `accounting: ${String((e as Error)?.stack ?? e)}` }));
    return null;
  };
  const logged = (p: Promise<unknown>) => p.catch(logError);
  const waitUntil = executionWaitUntil(c);

  if (streamed) {
    // Settled when the stream ends (or the client goes away), without holding it back.
    let ended!: (v: { body: ArrayBuffer | null; complete: boolean }) => void;
    const end = new Promise<{ body: ArrayBuffer | null; complete: boolean }>((r) => (ended = r));
    c.res = new Response(observe(res.body!, (body, complete) => ended({ body, complete })), res);
    const work = logged(end.then(({ body, complete }) => settleMeter(body, complete)).then(record));
    if (waitUntil) waitUntil(work);
    return;
  }

  // Every other answer is already in memory (c.json): read it now. Waiting for the client to read a
  // clone would leave an unread answer unsettled (and unbilled) forever.
  const body = await res.arrayBuffer();
  c.res = new Response(body, res);
  if (!waitUntil) {
    // No execution context (app.request in tests, Node hosts): settle before answering.
    await logged(settleMeter(body, true).then(record));
  } else if (idem) {
    // The answer is stored before it leaves, so that a retry right after it replays instead of getting 409.
    const settled = await settleMeter(body, true).catch(logError);
    if (settled) waitUntil(logged(record(settled)));
  } else {
    waitUntil(logged(settleMeter(body, true).then(record)));
  }
}

/** Passes a stream through, keeping a copy; calls `onEnd` once, when it ends or is cancelled. */
function observe(source: ReadableStream<Uint8Array>, onEnd: (body: ArrayBuffer | null, complete: boolean) => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let finished = false;
  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    if (!complete || size > MAX_STORED_BODY) return onEnd(null, complete);
    const all = new Uint8Array(size);
    let at = 0;
    for (const ch of chunks) {
      all.set(ch, at);
      at += ch.byteLength;
    }
    onEnd(all.buffer, true);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finish(true);
          return;
        }
        if (size <= MAX_STORED_BODY) chunks.push(value);
        size += value.byteLength;
        controller.enqueue(value);
      } catch (e) {
        controller.error(e);
        finish(false);
      }
    },
    cancel(reason) {
      finish(false);
      return reader.cancel(reason);
    },
  });
}

function executionWaitUntil(c: Ctx): ((p: Promise<unknown>) => void) | null {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return null;
  }
}
