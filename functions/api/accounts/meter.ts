/**
 * ApiKeyMeter: one SQLite-backed Durable Object per API key (`idFromName(key id)`). It is the single,
 * strongly consistent place where that key's requests are counted, so limits are exact:
 *
 * - rate: a fixed window of `rateWindow` seconds, at most `rateLimit` requests (every /v1 request);
 * - quota: billable units per calendar month (UTC); a POST reserves what it can cost on admission
 *   (a batch extends it to its item count) and the reservation is committed (billable) or released (our
 *   fault) when the answer is settled, so concurrent requests can never overshoot the quota. An accepted
 *   job's unit becomes a hold (`job:<id>`) that its run commits (billed) or releases (our fault);
 * - Idempotency-Key: the key's in-flight marker and completed answer live here, so concurrent
 *   duplicates are serialised: exactly one runs, the others get 409 (or the replay once it is done).
 *
 * All SQL of a call runs before its first await (alarm scheduling only), so calls never interleave.
 */
import { DurableObject } from 'cloudflare:workers';
import type { ApiBindings } from '../env';
import { QUOTA_POLICY, RATE_POLICY, monthOf, type LimitState } from './limits';

/** An answer kept for Idempotency-Key replays. */
export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

export interface AdmitRequest {
  rateLimit: number;
  rateWindowSeconds: number;
  /** Units per calendar month; null = unlimited. */
  quota: number | null;
  /** Units to reserve against the quota (0 for requests that are never billed, e.g. GET). */
  reserve: number;
  idempotency?: { key: string; fingerprint: string };
}

export type Admission =
  | { outcome: 'admitted'; admission: string; limits: LimitState }
  | { outcome: 'rate-limited' | 'quota-exceeded'; retryAfter: number; violated: string; limits: LimitState }
  | { outcome: 'replay'; response: StoredResponse; limits: LimitState }
  | { outcome: 'in-flight' | 'mismatch'; limits: LimitState };

export interface Settlement {
  admission: string;
  /** Units to bill; 0 releases the reservation (the request failed through our fault). */
  units: number;
  /** The answer to keep for replays, or null to forget the key so that a retry runs again. */
  idempotency?: { key: string; response: StoredResponse | null; ttlSeconds: number };
}

/** How long a reservation or an in-flight marker holds if its request never settles (crash, eviction). */
export const LEASE_MS = 10 * 60_000;
/** How long a queued job's unit stays held (longer than the queue's whole retry schedule, ~11 h). */
export const HOLD_MS = 2 * 86_400_000;

export type HoldOutcome = 'held' | 'billed' | 'quota-exceeded';
/** SQLite rows of a Durable Object hold at most 2 MB: stored bodies are split. */
const CHUNK = 1 << 20;
/** Larger answers are not kept (RPC arguments are capped at 32 MiB). */
export const MAX_STORED_BODY = 16 << 20;
const COMMIT_MEMORY_MS = 7 * 86_400_000;

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS rate_window (id INTEGER PRIMARY KEY CHECK (id = 1), start INTEGER NOT NULL, count INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS quota_used (period TEXT PRIMARY KEY, used INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, period TEXT NOT NULL, units INTEGER NOT NULL, expires_at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS commits (id TEXT PRIMARY KEY, at INTEGER NOT NULL)',
  `CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL,
     state TEXT NOT NULL, expires_at INTEGER NOT NULL, status INTEGER, headers TEXT, chunks INTEGER)`,
  'CREATE TABLE IF NOT EXISTS idempotency_body (key TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, seq))',
];

type IdemRow = { fingerprint: string; owner: string; state: string; expires_at: number; status: number | null; headers: string | null; chunks: number | null };

export class ApiKeyMeter extends DurableObject<ApiBindings> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: ApiBindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const s of SCHEMA) this.sql.exec(s);
  }

  admit(req: AdmitRequest): Admission {
    const now = Date.now();
    this.sql.exec('DELETE FROM reservations WHERE expires_at <= ?', now);

    // 1. Rate: every request counts, replays and conflicts included.
    const w = req.rateWindowSeconds * 1000;
    const start = Math.floor(now / w) * w;
    const win = this.sql.exec<{ start: number; count: number }>('SELECT start, count FROM rate_window WHERE id = 1').toArray()[0];
    const count = win && win.start === start ? win.count : 0;
    const rate = (used: number) => ({
      limit: req.rateLimit, remaining: Math.max(0, req.rateLimit - used), reset: Math.max(1, Math.ceil((start + w - now) / 1000)), window: req.rateWindowSeconds,
    });
    const month = monthOf(now);
    const quotaState = (extra: number) => {
      if (req.quota === null) return null;
      return {
        limit: req.quota, remaining: Math.max(0, req.quota - this.consumed(month.period) - extra),
        reset: Math.max(1, Math.ceil((month.end - now) / 1000)), window: Math.round((month.end - month.start) / 1000),
      };
    };
    if (count >= req.rateLimit) {
      const limits = { rate: rate(count), quota: quotaState(0) };
      return { outcome: 'rate-limited', retryAfter: limits.rate.reset, violated: RATE_POLICY, limits };
    }
    this.sql.exec('INSERT INTO rate_window (id, start, count) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET start = excluded.start, count = excluded.count', start, count + 1);

    // 2. Idempotency: a live record answers without touching the quota.
    const idem = req.idempotency;
    if (idem) {
      const rec = this.sql.exec<IdemRow>('SELECT fingerprint, owner, state, expires_at, status, headers, chunks FROM idempotency WHERE key = ?', idem.key).toArray()[0];
      if (rec && rec.expires_at > now) {
        const limits = { rate: rate(count + 1), quota: quotaState(0) };
        if (rec.fingerprint !== idem.fingerprint) return { outcome: 'mismatch', limits };
        if (rec.state !== 'done') return { outcome: 'in-flight', limits };
        return { outcome: 'replay', response: this.readStored(idem.key, rec), limits };
      }
      if (rec) this.forget(idem.key);
    }

    // 3. Quota: reserve before the work; refuse if the reservation would overshoot.
    if (req.quota !== null && req.reserve > 0 && this.consumed(month.period) + req.reserve > req.quota) {
      const limits = { rate: rate(count + 1), quota: quotaState(0) };
      return { outcome: 'quota-exceeded', retryAfter: limits.quota!.reset, violated: QUOTA_POLICY, limits };
    }
    const admission = crypto.randomUUID();
    if (req.reserve > 0) {
      this.sql.exec('INSERT INTO reservations (id, period, units, expires_at) VALUES (?, ?, ?, ?)', admission, month.period, req.reserve, now + LEASE_MS);
    }
    if (idem) {
      this.sql.exec("INSERT INTO idempotency (key, fingerprint, owner, state, expires_at) VALUES (?, ?, ?, 'in-flight', ?)", idem.key, idem.fingerprint, admission, now + LEASE_MS);
    }
    return { outcome: 'admitted', admission, limits: { rate: rate(count + 1), quota: quotaState(0) } };
  }

  /**
   * Raises an admitted request's reservation to `units` in all (a batch: one per item), or refuses
   * without changing it when that would overshoot the quota.
   */
  extend(e: { admission: string; units: number; quota: number | null }): { ok: true } | { ok: false; remaining: number; retryAfter: number } {
    const now = Date.now();
    const month = monthOf(now);
    const res = this.sql.exec<{ units: number }>('SELECT units FROM reservations WHERE id = ?', e.admission).toArray()[0];
    const held = res?.units ?? 0;
    if (e.quota !== null && this.consumed(month.period) - held + e.units > e.quota) {
      return { ok: false, remaining: Math.max(0, e.quota - this.consumed(month.period) + held), retryAfter: Math.max(1, Math.ceil((month.end - now) / 1000)) };
    }
    this.sql.exec('INSERT INTO reservations (id, period, units, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET units = excluded.units',
      e.admission, month.period, e.units, now + LEASE_MS);
    return { ok: true };
  }

  /**
   * Makes sure a job about to run holds its unit: its hold from admission, or a new one if that ran
   * out and the quota still has room. `billed` when the job was already billed (a redelivery).
   */
  hold(h: { id: string; quota: number | null }): HoldOutcome {
    const now = Date.now();
    this.sql.exec('DELETE FROM reservations WHERE expires_at <= ?', now);
    if (this.sql.exec('SELECT 1 FROM commits WHERE id = ?', h.id).toArray().length) return 'billed';
    if (this.sql.exec('SELECT 1 FROM reservations WHERE id = ?', h.id).toArray().length) return 'held';
    const { period } = monthOf(now);
    if (h.quota !== null && this.consumed(period) + 1 > h.quota) return 'quota-exceeded';
    this.sql.exec('INSERT INTO reservations (id, period, units, expires_at) VALUES (?, ?, 1, ?)', h.id, period, now + HOLD_MS);
    return 'held';
  }

  /**
   * Accepted jobs, before their messages are sent: the admission's reservation becomes one hold of 1
   * unit per id (`job:<job id>`), kept until the job's run commits or releases it (or HOLD_MS passes:
   * the run then reserves again).
   */
  holdFor(h: { admission: string; ids: string[] }): void {
    const now = Date.now();
    const res = this.sql.exec<{ period: string }>('SELECT period FROM reservations WHERE id = ?', h.admission).toArray()[0];
    this.sql.exec('DELETE FROM reservations WHERE id = ?', h.admission);
    for (const id of h.ids) {
      this.sql.exec('INSERT OR REPLACE INTO reservations (id, period, units, expires_at) VALUES (?, ?, 1, ?)', id, res?.period ?? monthOf(now).period, now + HOLD_MS);
    }
  }

  /** Gives held units back (their jobs failed through our fault, or were never created). */
  release(ids: string[]): void {
    for (const id of ids) this.sql.exec('DELETE FROM reservations WHERE id = ?', id);
  }

  /** Ends an admitted request: bills or releases its reservation, keeps or forgets its answer. */
  async settle(s: Settlement): Promise<void> {
    const now = Date.now();
    const res = this.sql.exec<{ period: string }>('SELECT period FROM reservations WHERE id = ?', s.admission).toArray()[0];
    this.sql.exec('DELETE FROM reservations WHERE id = ?', s.admission);
    if (s.units > 0) this.addUsed(res?.period ?? monthOf(now).period, s.units);

    const idem = s.idempotency;
    if (!idem) return;
    const rec = this.sql.exec<{ owner: string }>('SELECT owner FROM idempotency WHERE key = ?', idem.key).toArray()[0];
    // A late settle of a request whose lease ran out must not overwrite a newer request's record.
    if (!rec || rec.owner !== s.admission) return;
    const r = idem.response;
    if (!r || r.body.byteLength > MAX_STORED_BODY) {
      this.forget(idem.key);
      return;
    }
    const chunks = Math.ceil(r.body.byteLength / CHUNK);
    for (let i = 0; i < chunks; i++) {
      this.sql.exec('INSERT OR REPLACE INTO idempotency_body (key, seq, data) VALUES (?, ?, ?)', idem.key, i, r.body.slice(i * CHUNK, (i + 1) * CHUNK));
    }
    const expires = now + idem.ttlSeconds * 1000;
    this.sql.exec("UPDATE idempotency SET state = 'done', status = ?, headers = ?, chunks = ?, expires_at = ? WHERE key = ?",
      r.status, JSON.stringify(r.headers), chunks, expires, idem.key);
    await this.scheduleCleanup(expires);
  }

  /**
   * Bills asynchronous work (through recordUsage): the hold of the same `id` becomes used units. `id`
   * makes it idempotent: a redelivered queue message does not bill twice. Returns whether it was counted.
   */
  async commit(c: { id: string; units: number }): Promise<boolean> {
    const now = Date.now();
    const inserted = this.sql.exec('INSERT OR IGNORE INTO commits (id, at) VALUES (?, ?)', c.id, now).rowsWritten > 0;
    const res = this.sql.exec<{ period: string }>('SELECT period FROM reservations WHERE id = ?', c.id).toArray()[0];
    this.sql.exec('DELETE FROM reservations WHERE id = ?', c.id);
    if (inserted && c.units > 0) this.addUsed(res?.period ?? monthOf(now).period, c.units);
    if (inserted) await this.scheduleCleanup(now + COMMIT_MEMORY_MS);
    return inserted;
  }

  /** Units used and reserved this period. */
  usedThisMonth(): { period: string; used: number; reserved: number } {
    const { period } = monthOf(Date.now());
    const used = this.sql.exec<{ used: number }>('SELECT used FROM quota_used WHERE period = ?', period).toArray()[0]?.used ?? 0;
    return { period, used, reserved: this.consumed(period) - used };
  }

  async alarm(): Promise<void> {
    const now = Date.now();
    for (const { key } of this.sql.exec<{ key: string }>('SELECT key FROM idempotency WHERE expires_at <= ?', now).toArray()) this.forget(key);
    this.sql.exec('DELETE FROM commits WHERE at <= ?', now - COMMIT_MEMORY_MS);
    this.sql.exec('DELETE FROM reservations WHERE expires_at <= ?', now);
    const next = this.sql.exec<{ t: number | null }>(
      'SELECT MIN(t) AS t FROM (SELECT MIN(expires_at) AS t FROM idempotency UNION ALL SELECT MIN(at) + ? AS t FROM commits)', COMMIT_MEMORY_MS,
    ).one().t;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + 1000));
  }

  private consumed(period: string): number {
    const used = this.sql.exec<{ used: number }>('SELECT used FROM quota_used WHERE period = ?', period).toArray()[0]?.used ?? 0;
    const reserved = this.sql.exec<{ n: number | null }>('SELECT SUM(units) AS n FROM reservations WHERE period = ?', period).one().n ?? 0;
    return used + reserved;
  }

  private addUsed(period: string, units: number): void {
    this.sql.exec('INSERT INTO quota_used (period, used) VALUES (?, ?) ON CONFLICT (period) DO UPDATE SET used = used + excluded.used', period, units);
  }

  private forget(key: string): void {
    this.sql.exec('DELETE FROM idempotency WHERE key = ?', key);
    this.sql.exec('DELETE FROM idempotency_body WHERE key = ?', key);
  }

  private readStored(key: string, rec: IdemRow): StoredResponse {
    const parts = this.sql.exec<{ data: ArrayBuffer }>('SELECT data FROM idempotency_body WHERE key = ? ORDER BY seq', key).toArray().map((r) => new Uint8Array(r.data));
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      body.set(p, at);
      at += p.byteLength;
    }
    return { status: rec.status ?? 200, headers: JSON.parse(rec.headers ?? '[]'), body: body.buffer };
  }

  private async scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
