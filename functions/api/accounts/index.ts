/**
 * Accounts, limits and metering: API keys (hashed, in D1), exact per-key rate limits and monthly
 * quotas plus Idempotency-Key state (one Durable Object per key), and the usage ledger (D1).
 */
export { accounting } from './middleware';
export { refusal, type RouteCost, type RouteCosts } from './metering';
export { ApiKeyMeter, type Admission } from './meter';
export { documentAccounting } from './openapi';
export { holdJobUnit, jobHoldId, jobHoldsOf, meterFor, recordUsage, releaseJobUnit, type UsageRecord } from './usage';
export type { ApiKey } from './keys';
