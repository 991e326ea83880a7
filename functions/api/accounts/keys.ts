/**
 * API keys and webhook secrets: generation, hashing and the api_keys row. Pure Web Crypto, no Worker
 * globals, so the `keys` command (Node) and the Worker share it.
 *
 * A key is `gmn_` + base64url of 32 random bytes; only its SHA-256 (hex) is stored. The webhook secret
 * is `whsec_` + base64 of 24 random bytes (the Standard Webhooks format) and is stored as issued: the
 * server must read it to sign callbacks (see the README, Accounts).
 */
import { bytesToBase64 } from '../../../shared/base64';
import { sha256Hex, toHex } from '../../../shared/store/sha256';

export const KEY_PREFIX = 'gmn_';
export const KEY_PATTERN = /^gmn_[A-Za-z0-9_-]{43}$/;
export const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;

/** What the auth middleware puts in `c.get('apiKey')`. */
export interface ApiKey {
  id: string;
  name: string;
  /** `whsec_...`: signs this key's webhook callbacks (Standard Webhooks). */
  webhook_secret: string;
  /** Billable units per calendar month (UTC); null = unlimited. */
  quota: number | null;
}

/** A row of api_keys as the Worker reads it. */
export interface ApiKeyRow extends ApiKey {
  rate_limit: number | null;
  revoked_at: string | null;
}

export interface NewKey {
  /** The secret the client sends as `Authorization: Bearer <key>`; shown once, never stored. */
  key: string;
  row: {
    id: string;
    name: string;
    key_hash: string;
    key_prefix: string;
    webhook_secret: string;
    quota: number | null;
    rate_limit: number | null;
    created_at: string;
  };
}

const bytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

const base64url = (b: Uint8Array) => bytesToBase64(b).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');


/** The stored form of a presented key. */
export const hashKey = (key: string) => sha256Hex(key);

export function newWebhookSecret(): string {
  return 'whsec_' + bytesToBase64(bytes(24));
}

export function validateQuota(v: number | null | undefined, what = 'quota'): number | null {
  if (v === null || v === undefined) return null;
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${what} must be a whole number >= 0, got ${v}`);
  return v;
}

export async function newKey(opts: { name: string; quota?: number | null; rateLimit?: number | null; now?: Date }): Promise<NewKey> {
  const name = opts.name.trim();
  if (!name || name.length > 200 || /[\u0000-\u001f\u007f]/.test(name)) throw new Error('name must be 1 to 200 printable characters');
  const rateLimit = validateQuota(opts.rateLimit, 'rate limit');
  if (rateLimit === 0) throw new Error('rate limit must be at least 1');
  const key = KEY_PREFIX + base64url(bytes(32));
  return {
    key,
    row: {
      id: 'key_' + toHex(bytes(8)),
      name,
      key_hash: await hashKey(key),
      key_prefix: key.slice(0, 8),
      webhook_secret: newWebhookSecret(),
      quota: validateQuota(opts.quota),
      rate_limit: rateLimit,
      created_at: (opts.now ?? new Date()).toISOString(),
    },
  };
}

export const KEY_COLUMNS = ['id', 'name', 'key_hash', 'key_prefix', 'webhook_secret', 'quota', 'rate_limit', 'created_at'] as const;

/** A parameterised INSERT for D1 (`db.prepare(sql).bind(...params)`). */
export function insertKeyStatement(k: NewKey): { sql: string; params: (string | number | null)[] } {
  return {
    sql: `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`,
    params: KEY_COLUMNS.map((c) => k.row[c]),
  };
}

/** An SQLite literal, for SQL run through `wrangler d1 execute` (which takes no bound parameters). */
export function sqlLiteral(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  return `'${v.replaceAll("'", "''")}'`;
}

/**
 * A statement with its parameters inlined as literals, for `wrangler d1 execute` (which takes no bound
 * parameters). The statement text itself must not contain '?' other than as placeholders.
 */
export function inlineSql(stmt: { sql: string; params: (string | number | null)[] }): string {
  let i = 0;
  const out = stmt.sql.replace(/\?/g, () => {
    if (i >= stmt.params.length) throw new Error('more placeholders than parameters');
    return sqlLiteral(stmt.params[i++]);
  });
  if (i !== stmt.params.length) throw new Error('more parameters than placeholders');
  return out + ';';
}

/** Revokes a key by its id (`key_...`); an already revoked key keeps its first revocation time. */
export function revokeStatement(id: string, now = new Date()): { sql: string; params: string[] } {
  return { sql: 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', params: [now.toISOString(), id] };
}

export const LIST_KEYS_SQL = 'SELECT id, name, key_prefix, quota, rate_limit, created_at, revoked_at FROM api_keys ORDER BY created_at, id';

/** Looks up a presented key by its hash. */
export async function findKey(db: D1Database, key: string): Promise<ApiKeyRow | null> {
  return db
    .prepare('SELECT id, name, webhook_secret, quota, rate_limit, revoked_at FROM api_keys WHERE key_hash = ?')
    .bind(await hashKey(key))
    .first<ApiKeyRow>();
}
