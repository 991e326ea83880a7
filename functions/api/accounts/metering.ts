/**
 * What a request costs: the units a POST reserves on admission, the units, LLM tokens and model time a
 * finished answer is billed, and the 429 problems of a request the quota or the rate limit refuses.
 */
import type { Context } from 'hono';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv, Metering } from '../env';
import { MAX_BATCH_ITEMS } from '../jobs/schemas';
import { QUOTA_POLICY } from './limits';
import type { Admission } from './meter';
import { isBillableStatus } from './usage';

type Ctx = Context<AppEnv>;

/** POST routes billed by this middleware without saying so themselves (1 unit per request). */
const BILLED_ROUTES = new Set(['/v1/recognize']);

/**
 * What a POST may cost, reserved at admission. A batch declares it: one unit per item. Reserving it at once, not
 * 1 at admission and the rest later, keeps concurrent batches from each holding a unit that the others need to
 * grow into (20 batches of 2 against a quota of 10 were all refused, none billed). The route still confirms the
 * count after validation (`reserveUnits`); a body that does not parse reserves 1 and is refused there.
 */
export async function declaredCost(c: Ctx): Promise<number> {
  if (c.req.path !== '/v1/batch') return 1;
  try {
    const items = ((await c.req.json()) as { items?: unknown }).items;
    return Array.isArray(items) ? Math.min(Math.max(items.length, 1), MAX_BATCH_ITEMS) : 1;
  } catch {
    return 1;
  }
}

/** The units a finished POST costs, or null when this request is not billed here. */
export function meteringOf(c: Ctx, status: number, answer: unknown): Metering | null {
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

/** The 429 problem of a request that costs more units than the quota has left. */
export function costRefusal(units: number, remaining: number, quota: number | null, retryAfter: number): ProblemError {
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
