/**
 * What a request costs: the units a POST reserves on admission (declared by its route), the units, LLM tokens and model time a
 * finished answer is billed, and the 429 problems of a request the quota or the rate limit refuses.
 */
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv, Metering } from '../env';
import { QUOTA_POLICY } from './limits';
import type { Admission } from './meter';
import { isBillableStatus } from './usage';

type Ctx = Context<AppEnv>;

/**
 * What a POST route costs, declared next to the route and read before the route runs: the meter reserves
 * it on admission, and settling bills by it. Every POST route behind the Bearer key declares one
 * (test/workers/accounts-route-costs.test.ts); `RouteCosts` are keyed by the route's Hono pattern
 * (`createRoute(...).getRoutingPath()`), so a path the router matches loosely costs what its route says.
 */
export interface RouteCost {
  /**
   * Units to reserve on admission, before the body is validated: what the request may cost (a batch: one per
   * item). The route confirms or raises it after validation (`reserveUnits`).
   */
  reserve: (c: Ctx) => number | Promise<number>;
  /**
   * true: a billable answer the route set no `metering` for costs 1 unit, with the answer's LLM tokens and
   * the model time of its timings; false: only what the route sets in `metering` is billed here.
   */
  billsAnswer: boolean;
}

export type RouteCosts = Readonly<Record<string, RouteCost>>;

/** A POST that no route declares (no route matched): 1 unit reserved on admission, nothing billed. */
const UNDECLARED: RouteCost = { reserve: () => 1, billsAnswer: false };

/** The cost the matched POST route declares. */
export function routeCost(c: Ctx, costs: RouteCosts): RouteCost {
  const path = matchedRoutes(c).filter((r) => r.method === 'POST').at(-1)?.path;
  return (path !== undefined && Object.hasOwn(costs, path) ? costs[path] : undefined) ?? UNDECLARED;
}

/** The units a finished POST costs, or null when this request is not billed here. */
export function meteringOf(c: Ctx, cost: RouteCost, status: number, answer: unknown): Metering | null {
  if (!isBillableStatus(status)) return null;
  const declared = c.get('metering');
  if (declared === null) return null; // the route bills elsewhere (e.g. a job, when it runs)
  if (declared) return declared;
  if (!cost.billsAnswer) return null;
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
