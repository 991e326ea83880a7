/**
 * `npm run keys` against local D1 state, and a key it creates used on `wrangler dev` (what `npm start`
 * runs) sharing that state: created, listed without secrets, accepted, revoked while the server runs.
 * Uses its own temporary state directory and free ports, so it never touches .wrangler/state.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, runScript } from '../support/cli';
import { ROOT, WRANGLER_ENV as ENV, startWranglerDev, type DevServer } from '../support/wrangler-dev';

const state = mkdtempSync(join(tmpdir(), 'gmner-keys-'));

const keys = (...args: string[]) => runScript('scripts/keys.ts', [...args, '--persist-to', state], { cwd: ROOT, env: ENV });
const wrangler = (...args: string[]) => runCommand(process.execPath, ['node_modules/wrangler/bin/wrangler.js', ...args], { cwd: ROOT, env: ENV });


describe('npm run keys', () => {
  let dev: DevServer | undefined;
  let origin = '';

  beforeAll(async () => {
    dev = await startWranglerDev({ state, timeoutMs: 90_000 });
    origin = dev.origin;
  }, 100_000);

  afterAll(async () => {
    await dev?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('create prints exactly {key, webhook_secret}; the database holds only the hash', async () => {
    const out = await keys('create', '--name', "o'brien", '--quota', '2');
    expect(out.code, out.stderr).toBe(0);
    const created = JSON.parse(out.stdout);
    expect(Object.keys(created)).toEqual(['key', 'webhook_secret']);
    expect(created.key).toMatch(/^gmn_[A-Za-z0-9_-]{43}$/);
    expect(created.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const q = await wrangler('d1', 'execute', 'DB', '--local', '--persist-to', state, '--json', '--command', "SELECT * FROM api_keys WHERE name = 'o''brien'");
    const [row] = JSON.parse(q.stdout.slice(q.stdout.indexOf('[')))[0].results;
    expect(row.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.key.slice(8));
    expect(row.quota).toBe(2);
  }, 60_000);

  it('a created key works on the running server at once; revoke takes effect at once; list shows no secrets', async () => {
    const { key } = JSON.parse((await keys('create', '--name', 'live', '--quota', '5', '--rate', '10')).stdout);
    const ok = await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toMatch(/^"rate";q=10;w=60, "monthly";q=5;w=\d+$/);

    const listed = JSON.parse((await keys('list')).stdout) as Record<string, unknown>[];
    const mine = listed.find((k) => k.name === 'live')!;
    expect(mine).toMatchObject({ key_prefix: key.slice(0, 8), quota: 5, rate_limit: 10, revoked_at: null });
    expect(mine.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(JSON.stringify(listed)).not.toMatch(/whsec_|key_hash/);

    const revoked = await keys('revoke', key);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: mine.id, name: 'live', revoked_at: expect.any(String) });
    const denied = await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(denied.status).toBe(401);
    expect((await denied.json() as { type: string }).type).toMatch(/key-revoked$/);
    // By id too; revoking twice keeps the first time.
    const again = JSON.parse((await keys('revoke', String(mine.id))).stdout);
    expect(again.revoked_at).toBe(JSON.parse(revoked.stdout).revoked_at);
  }, 60_000);

  it('refuses bad arguments with exit code 2 and unknown keys with 1', async () => {
    for (const args of [['create'], ['create', '--name', 'x', '--quota', 'lots'], ['revoke', 'nope'], ['frobnicate']]) {
      const r = await keys(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^keys: /);
    }
    const unknown = await keys('revoke', 'key_0000000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No key with id');
  }, 60_000);
});
