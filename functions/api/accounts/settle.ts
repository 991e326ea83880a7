/**
 * The end of an admitted POST: bill or release its reservation, keep its answer for Idempotency-Key
 * replays (or forget the key so that a retry runs again), and write its usage record.
 *
 * Settling happens after the answer leaves (waitUntil), except that an answer under an Idempotency-Key is
 * stored before it is returned, so that an immediate retry replays it. A streamed answer
 * (text/event-stream) is settled when its stream ends.
 */
import type { Context } from 'hono';
import { observeStream } from '../../../shared/observe-stream';
import type { AppEnv, Metering } from '../env';
import { replayedHeaders, type Idem } from './idempotency';
import type { ApiKeyRow } from './keys';
import type { AccountingConfig } from './limits';
import { MAX_STORED_BODY, type ApiKeyMeter } from './meter';
import { meteringOf, type RouteCost } from './metering';
import { insertUsage, isBillableStatus } from './usage';

type Ctx = Context<AppEnv>;

/** An admitted POST, as settling needs it. */
export interface Admitted {
  meter: DurableObjectStub<ApiKeyMeter>;
  admission: string;
  /** What the matched route declares it costs. */
  cost: RouteCost;
  key: ApiKeyRow;
  idem: Idem | undefined;
  cfg: AccountingConfig;
}

/** Settles `c.res` (replacing it with an equal answer whose body can still be read). */
export async function settle(c: Ctx, { meter, admission, cost, key, idem, cfg }: Admitted): Promise<void> {
  const res = c.res;
  const status = res.status;
  const type = res.headers.get('content-type') ?? '';
  const requestId = c.get('requestId');
  const route = `${c.req.method} ${c.req.path}`;
  const headers = replayedHeaders(res);
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
    const metering = !streamed || c.get('metering') ? meteringOf(c, cost, status, answer) : null;
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
    c.res = new Response(observeStream(res.body!, MAX_STORED_BODY, (body, complete) => ended({ body, complete })), res);
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

/** The usage record's outcome: 'ok', or the problem type's slug (e.g. 'image-invalid'). */
function outcomeOf(status: number, answer: unknown): string {
  if (status >= 200 && status < 300) return 'ok';
  const type = (answer as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : `http-${status}`;
}

function executionWaitUntil(c: Ctx): ((p: Promise<unknown>) => void) | null {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return null;
  }
}
