/**
 * The accounting path of every /v1 request, one middleware after the body limit:
 *
 *   authenticate (Bearer key -> SHA-256 -> D1) -> [POST with Idempotency-Key: body fingerprint]
 *     -> one Durable Object call (meter.ts): rate limit, idempotency state, quota reservation of what the
 *        request may cost (metering.ts) -> route
 *     -> settle (settle.ts): bill or release the reservation, keep the answer for replays, write the usage record.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv } from '../env';
import { errorResponse, problemResponse } from '../problem';
import { authenticate } from './authenticate';
import { idempotencyOf, replay } from './idempotency';
import type { ApiKeyRow } from './keys';
import { accountingConfig, limitHeaders } from './limits';
import type { Admission } from './meter';
import { costRefusal, refusal, routeCost, type RouteCosts } from './metering';
import { settle } from './settle';
import { jobHoldsOf, meterFor } from './usage';

/** `costs`: what each POST route declares it costs (RouteCost), keyed by its pattern. */
export function accounting(costs: RouteCosts): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = await authenticate(c);
    if (key instanceof Response) return key;
    c.set('apiKey', { id: key.id, name: key.name, webhook_secret: key.webhook_secret, quota: key.quota });

    const cfg = accountingConfig(c.env);
    const post = c.req.method === 'POST';
    const idem = await idempotencyOf(c);
    if (idem instanceof Response) return idem;

    const meter = meterFor(c.env, key.id);
    // only a POST is billed by what its route declares
    const declared = post ? routeCost(c, costs) : null;
    const cost = declared ? await declared.reserve(c) : 0;
    let a: Admission;
    try {
      a = (await meter.admit({
        rateLimit: key.rate_limit ?? cfg.rateLimit, rateWindowSeconds: cfg.rateWindowSeconds, quota: key.quota, reserve: cost, idempotency: idem,
      })) as Admission;
    } catch (e) {
      throw new ProblemError('accounts-unavailable', 'The rate limiter did not answer; retry shortly.', { retryAfter: 1, cause: e });
    }
    const limits = limitHeaders(a.limits);
    if (a.outcome !== 'admitted') {
      const res = refused(c, a, cost, key);
      for (const [k, v] of Object.entries(limits)) res.headers.set(k, v);
      return res;
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
    if (declared) await settle(c, { meter, admission: a.admission, cost: declared, key, idem, cfg });
  };
}

/** The answer to a request the meter did not admit: a 429, an Idempotency-Key conflict, or the replay. */
function refused(c: Context<AppEnv>, a: Exclude<Admission, { outcome: 'admitted' }>, cost: number, key: ApiKeyRow): Response {
  switch (a.outcome) {
    case 'rate-limited':
    case 'quota-exceeded':
      return errorResponse(c, a.outcome === 'quota-exceeded' && cost > 1 ? costRefusal(cost, a.limits.quota?.remaining ?? 0, key.quota, a.retryAfter) : refusal(a));
    case 'in-flight':
      return problemResponse(c, 'idempotency-conflict', 'A request with this Idempotency-Key is still being processed; retry after it completes to get its answer.', {}, 1);
    case 'mismatch':
      return problemResponse(c, 'idempotency-mismatch', 'This Idempotency-Key was used with a different request (method, path or body); use a new key for a new request.');
    case 'replay':
      return replay(a.response);
  }
}
