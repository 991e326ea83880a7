/**
 * Rate-limit and quota policy: configuration from the environment, calendar-month periods, and the
 * RateLimit-Policy / RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11).
 */
import { envInt, type ConfigEnv } from '../../../shared/config';

export interface AccountingConfig {
  /** Requests per window per key, unless the key has its own `rate_limit`. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** How long a completed answer is kept for Idempotency-Key replays. */
  idempotencyTtlSeconds: number;
}

export function accountingConfig(env: ConfigEnv): AccountingConfig {
  return {
    rateLimit: envInt(env, 'RATE_LIMIT_REQUESTS'),
    rateWindowSeconds: envInt(env, 'RATE_LIMIT_WINDOW_S'),
    idempotencyTtlSeconds: envInt(env, 'IDEMPOTENCY_TTL_S'),
  };
}

/** A policy's state after this request, for the headers. `reset` is seconds until the window ends. */
export interface PolicyState {
  limit: number;
  remaining: number;
  reset: number;
  window: number;
}

export interface LimitState {
  rate: PolicyState;
  /** Null when the key has no quota (unlimited). */
  quota: PolicyState | null;
}

export const RATE_POLICY = 'rate';
export const QUOTA_POLICY = 'monthly';

/** The calendar month (UTC) holding `now`: its key ('2026-11'), and its bounds in ms. */
export function monthOf(now: number): { period: string; start: number; end: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear(), m = d.getUTCMonth();
  return { period: `${y}-${String(m + 1).padStart(2, '0')}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

export function limitHeaders(l: LimitState): Record<string, string> {
  const policies = [`"${RATE_POLICY}";q=${l.rate.limit};w=${l.rate.window}`];
  const states = [`"${RATE_POLICY}";r=${l.rate.remaining};t=${l.rate.reset}`];
  if (l.quota) {
    policies.push(`"${QUOTA_POLICY}";q=${l.quota.limit};w=${l.quota.window}`);
    states.push(`"${QUOTA_POLICY}";r=${l.quota.remaining};t=${l.quota.reset}`);
  }
  return { 'ratelimit-policy': policies.join(', '), ratelimit: states.join(', ') };
}
