/**
 * Accounts for the workerd tests: applies infra/migrations to the file's isolated D1 (vitest.config.ts
 * passes them in as TEST_MIGRATIONS) and issues real keys through the production key code, exactly
 * as `npm run keys -- create` writes them.
 */
import { applyD1Migrations, type D1Migration } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { insertKeyStatement, newKey, revokeStatement } from '../../functions/api/accounts/keys';
import { BLUE, RED, encodePng, makeImage, toBase64 } from './images';
import { llmVars, recordedCalls } from './llm';

const bindings = env as unknown as { DB: D1Database; TEST_MIGRATIONS: D1Migration[] };

export async function migrate(): Promise<void> {
  await applyD1Migrations(bindings.DB, bindings.TEST_MIGRATIONS);
}

export interface TestKey {
  id: string;
  key: string;
  webhook_secret: string;
  /** `{ authorization: 'Bearer <key>' }` */
  auth: Record<string, string>;
}

export async function issueKey(opts: { name?: string; quota?: number | null; rateLimit?: number | null } = {}): Promise<TestKey> {
  await migrate();
  const k = await newKey({ name: opts.name ?? 'test', quota: opts.quota ?? null, rateLimit: opts.rateLimit ?? null });
  const { sql, params } = insertKeyStatement(k);
  await bindings.DB.prepare(sql).bind(...params).run();
  return { id: k.row.id, key: k.key, webhook_secret: k.row.webhook_secret, auth: { authorization: `Bearer ${k.key}` } };
}

/** What `npm run keys -- revoke` does. */
export async function revokeKey(id: string): Promise<void> {
  const { sql, params } = revokeStatement(id);
  await bindings.DB.prepare(sql).bind(...params).run();
}

export async function usageRows(keyId: string): Promise<Record<string, any>[]> {
  return (await bindings.DB.prepare('SELECT * FROM usage_records WHERE key_id = ? ORDER BY created_at, id').bind(keyId).all()).results;
}

let llmN = 0;
/**
 * The wrangler env pointed at the recorded LLM server with a model name unique to the caller
 * (`recorded`, or e.g. `slow?delay_ms=400`), so its calls can be counted through /__requests.
 */
export function llmEnv(behaviour = 'recorded', extra: Record<string, string> = {}): { env: Record<string, unknown>; model: string } {
  const sep = behaviour.includes('?') ? '&' : '?';
  const model = `${behaviour}${sep}t=accounts-${++llmN}-${Date.now()}`;
  return { env: { ...env, ...llmVars(model), ...extra }, model };
}

/** How many chat completions the recorded server received for this model name. */
export const llmCalls = recordedCalls;

/** A post the recorded server has an answer for (unit recording u3), with a small inline PNG. */
export const RECORDED_POST = "Breaking : Marisol Vega criticizes Harold Brandt ' s plan to close public libraries";
let png: Promise<string> | undefined;
export async function recognizeBody(text = RECORDED_POST): Promise<string> {
  png ??= encodePng(makeImage(32, 24, (x) => (x < 16 ? RED : BLUE))).then(toBase64);
  return JSON.stringify({ text, image: { data: await png, media_type: 'image/png' } });
}

/** A JSON POST: a string body is sent as it is (to test malformed JSON), anything else stringified. */
export function post(body: unknown, headers: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
