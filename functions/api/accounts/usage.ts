/**
 * The usage ledger (D1 `usage_records`): one record per billable request. The accounting middleware
 * writes the records of synchronous requests; asynchronous work (the job consumer) calls recordUsage().
 */
import { ProblemError } from '../../../shared/problems';
import type { ApiBindings, JobHolds } from '../env';
import type { ApiKeyMeter, HoldOutcome } from './meter';

export interface UsageRecord {
  key_id: string;
  /** The request (or job item) the units were spent on: our id, never the client's. */
  request_id: string;
  /** The client's own X-Request-Id, when it sent one. */
  client_request_id?: string | null;
  /** e.g. 'POST /v1/recognize'. */
  route: string;
  /** Billable units: 1 per recognized post. */
  units: number;
  /** Prompt + completion tokens of the hosted LLM. */
  llm_tokens?: number;
  /** Summed stage time (LLM and vision models), ms. */
  model_ms?: number;
  /** HTTP status of the answer (or of the job item's result). */
  status: number;
  /** 'ok', or the problem type slug of a client error (e.g. 'image-invalid'). */
  outcome: string;
  /** De-duplication id: a record (and its units) with the same id counts once. Default: a new UUID. */
  id?: string;
  /** ISO 8601; default now. */
  created_at?: string;
}

export interface StoredUsage extends Required<Omit<UsageRecord, 'client_request_id'>> {
  client_request_id: string | null;
}

/** 5xx answers failed through our fault and are never billed. */
export const isBillableStatus = (status: number) => status < 500;

export function accountsDb(env: ApiBindings): D1Database {
  const db = env.DB as D1Database | undefined;
  if (!db) throw new ProblemError('accounts-unavailable', 'The Worker has no DB (D1) binding; see wrangler.toml and the README, Accounts.');
  return db;
}

export function meterFor(env: ApiBindings, keyId: string): DurableObjectStub<ApiKeyMeter> {
  const ns = env.METER as DurableObjectNamespace<ApiKeyMeter> | undefined;
  if (!ns) throw new ProblemError('accounts-unavailable', 'The Worker has no METER (Durable Object) binding; see wrangler.toml.');
  return ns.get(ns.idFromName(keyId));
}

function normalise(r: UsageRecord): StoredUsage {
  for (const [name, v] of [['units', r.units], ['llm_tokens', r.llm_tokens ?? 0], ['model_ms', r.model_ms ?? 0]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`usage record: ${name} must be a whole number >= 0, got ${v}`);
  }
  return {
    id: r.id ?? crypto.randomUUID(),
    key_id: r.key_id,
    request_id: r.request_id,
    client_request_id: r.client_request_id ?? null,
    route: r.route,
    units: r.units,
    llm_tokens: r.llm_tokens ?? 0,
    model_ms: r.model_ms ?? 0,
    status: r.status,
    outcome: r.outcome,
    created_at: r.created_at ?? new Date().toISOString(),
  };
}

/** Writes one ledger row (a row with an id already present is left as it is). */
export async function insertUsage(db: D1Database, record: UsageRecord): Promise<StoredUsage> {
  const r = normalise(record);
  await db
    .prepare(`INSERT OR IGNORE INTO usage_records (id, key_id, request_id, client_request_id, route, units, llm_tokens, model_ms, status, outcome, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(r.id, r.key_id, r.request_id, r.client_request_id, r.route, r.units, r.llm_tokens, r.model_ms, r.status, r.outcome, r.created_at)
    .run();
  return r;
}

/** The id of a job's held unit in the meter, and of its usage record: the same, so billing consumes the hold. */
export const jobHoldId = (jobId: string) => `job:${jobId}`;

/** The JobHolds of an admitted request: its reservation becomes the held units of the jobs it queues. */
export function jobHoldsOf(meter: DurableObjectStub<ApiKeyMeter>, admission: string): JobHolds {
  return {
    take: async (jobIds) => void (await meter.holdFor({ admission, ids: jobIds.map(jobHoldId) })),
    release: async (jobIds) => void (await meter.release(jobIds.map(jobHoldId))),
  };
}

/** Before a job runs: its unit is held (from admission, or anew if the quota has room), or it was already billed. */
export async function holdJobUnit(env: ApiBindings, keyId: string, jobId: string, quota: number | null): Promise<HoldOutcome> {
  return (await meterFor(env, keyId).hold({ id: jobHoldId(jobId), quota })) as HoldOutcome;
}

/** A job that will not be billed (our fault, quota, revoked key): its held unit goes back. */
export async function releaseJobUnit(env: ApiBindings, keyId: string, jobId: string): Promise<void> {
  await meterFor(env, keyId).release([jobHoldId(jobId)]);
}

/**
 * Bills work that no synchronous request settled (the job consumer's items): writes the ledger row and
 * counts the units against the key's monthly quota, consuming the hold of the same id. Safe to repeat with the same `id` (queue retries).
 * A record with a 5xx status is not billed and returns `{ recorded: false }`.
 */
export async function recordUsage(env: ApiBindings, record: UsageRecord): Promise<{ recorded: boolean; id?: string }> {
  if (!isBillableStatus(record.status)) return { recorded: false };
  const r = normalise(record);
  await Promise.all([insertUsage(accountsDb(env), r), meterFor(env, r.key_id).commit({ id: r.id, units: r.units })]);
  return { recorded: true, id: r.id };
}

export interface UsageQuery {
  from: string;
  to: string;
  limit: number;
  /** Opaque: from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface UsagePage {
  records: Omit<StoredUsage, 'key_id'>[];
  totals: { requests: number; units: number; llm_tokens: number; model_ms: number };
  next_cursor: string | null;
}

export const encodeCursor = (created_at: string, id: string) => btoa(JSON.stringify([created_at, id])).replace(/=+$/, '');

export function decodeCursor(cursor: string): [string, string] | null {
  try {
    const v = JSON.parse(atob(cursor));
    return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string') ? (v as [string, string]) : null;
  } catch {
    return null;
  }
}

/** A key's records with created_at in [from, to), oldest first, and the totals over the whole range. */
export async function queryUsage(db: D1Database, keyId: string, q: UsageQuery): Promise<UsagePage> {
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const page = after
    ? db.prepare(`SELECT id, request_id, client_request_id, route, units, llm_tokens, model_ms, status, outcome, created_at FROM usage_records
                  WHERE key_id = ? AND created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?)
                  ORDER BY created_at, id LIMIT ?`).bind(keyId, q.from, q.to, after[0], after[1], q.limit + 1)
    : db.prepare(`SELECT id, request_id, client_request_id, route, units, llm_tokens, model_ms, status, outcome, created_at FROM usage_records
                  WHERE key_id = ? AND created_at >= ? AND created_at < ?
                  ORDER BY created_at, id LIMIT ?`).bind(keyId, q.from, q.to, q.limit + 1);
  const totals = db.prepare(`SELECT COUNT(*) AS requests, COALESCE(SUM(units), 0) AS units, COALESCE(SUM(llm_tokens), 0) AS llm_tokens,
                                    COALESCE(SUM(model_ms), 0) AS model_ms
                             FROM usage_records WHERE key_id = ? AND created_at >= ? AND created_at < ?`).bind(keyId, q.from, q.to);
  const [rows, sums] = await db.batch<Record<string, unknown>>([page, totals]);
  const records = rows.results as UsagePage['records'];
  const more = records.length > q.limit;
  if (more) records.length = q.limit;
  const last = records[records.length - 1];
  return {
    records,
    totals: sums.results[0] as UsagePage['totals'],
    next_cursor: more && last ? encodeCursor(last.created_at, last.id) : null,
  };
}
