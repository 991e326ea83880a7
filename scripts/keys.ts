/// <reference types="node" />
/**
 * `npm run keys -- <command>`: API keys in the accounts database (D1 binding DB of wrangler.toml),
 * through `wrangler d1`, so it works on the local state `npm start` uses (default) and on a deployed
 * account (`--remote`, with wrangler's login or CLOUDFLARE_API_TOKEN).
 *
 *   create --name NAME [--quota N] [--rate N]   prints {"key", "webhook_secret"}; the key is shown only now
 *   revoke KEY_ID|KEY                            prints {"id", "name", "revoked_at"}
 *   list                                         prints the keys (no secrets) as a JSON array
 *   migrate                                      applies infra/migrations
 *
 * Options: --remote (the deployed database), --persist-to DIR (local state other than .wrangler/state),
 * --config FILE (default wrangler.toml). Locally, every command first applies the migrations.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  KEY_ID_PATTERN, KEY_PATTERN, LIST_KEYS_SQL, hashKey, inlineSql, insertKeyStatement, newKey, revokeStatement, sqlLiteral,
} from '../functions/api/accounts/keys';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WRANGLER = resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js');
const USAGE = `usage: npm run keys -- create --name NAME [--quota N] [--rate N] | revoke KEY_ID|KEY | list | migrate
       options: --remote | --persist-to DIR, --config FILE`;

class UsageError extends Error {}

interface Target {
  remote: boolean;
  persistTo?: string;
  config: string;
}

function wrangler(args: string[], t: Target): Promise<string> {
  const where = t.remote ? ['--remote'] : ['--local', ...(t.persistTo ? ['--persist-to', t.persistTo] : [])];
  return new Promise((res, rej) => {
    execFile(process.execPath, [WRANGLER, ...args, ...where, '--config', t.config], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', FORCE_COLOR: '0' },
    }, (err, stdout, stderr) => {
      if (err) rej(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed:\n${stderr || stdout || err.message}`.trim()));
      else res(stdout);
    });
  });
}

async function execute(sql: string, t: Target): Promise<Record<string, unknown>[][]> {
  let out: string;
  try {
    out = await wrangler(['d1', 'execute', 'DB', '--json', '--command', sql], t);
  } catch (e) {
    if (/no such table/i.test((e as Error).message)) {
      throw new Error(`The accounts tables do not exist${t.remote ? ' in the deployed database' : ''}: run \`npm run keys -- migrate${t.remote ? ' --remote' : ''}\` first.`);
    }
    throw e;
  }
  const parsed = JSON.parse(out.slice(out.indexOf('['))) as { results?: Record<string, unknown>[] }[];
  return parsed.map((p) => p.results ?? []);
}

const migrate = (t: Target) => wrangler(['d1', 'migrations', 'apply', 'DB'], t);

function wholeNumber(v: string | undefined, what: string): number | null {
  if (v === undefined) return null;
  if (!/^\d+$/.test(v)) throw new UsageError(`${what} must be a whole number, got "${v}"`);
  return Number(v);
}

export async function main(argv: string[]): Promise<unknown> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' }, quota: { type: 'string' }, rate: { type: 'string' },
        remote: { type: 'boolean' }, local: { type: 'boolean' }, 'persist-to': { type: 'string' }, config: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  if (values.remote && values['persist-to']) throw new UsageError('--persist-to is for local state; it cannot go with --remote');
  const t: Target = { remote: !!values.remote, persistTo: values['persist-to'] && resolve(values['persist-to']), config: resolve(values.config ?? resolve(ROOT, 'wrangler.toml')) };
  if (command === 'migrate') {
    process.stderr.write(await migrate(t));
    return undefined;
  }
  if (!['create', 'revoke', 'list'].includes(command ?? '')) throw new UsageError(USAGE);

  if (command === 'create') {
    if (!values.name) throw new UsageError('create needs --name NAME');
    let k;
    try {
      k = await newKey({ name: values.name, quota: wholeNumber(values.quota, '--quota'), rateLimit: wholeNumber(values.rate, '--rate') });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (!t.remote) await migrate(t);
    await execute(inlineSql(insertKeyStatement(k)), t);
    return { key: k.key, webhook_secret: k.row.webhook_secret };
  }
  if (command === 'revoke') {
    if (!arg) throw new UsageError('revoke needs a key id (key_...) or the key itself (gmn_...)');
    if (!KEY_PATTERN.test(arg) && !KEY_ID_PATTERN.test(arg)) throw new UsageError(`"${arg}" is neither a key id (key_ + 16 hex) nor a key (gmn_...)`);
    if (!t.remote) await migrate(t);
    let id = arg;
    if (KEY_PATTERN.test(arg)) {
      const [rows] = await execute(`SELECT id FROM api_keys WHERE key_hash = ${sqlLiteral(await hashKey(arg))}`, t);
      if (!rows.length) throw new Error('No such key.');
      id = String(rows[0].id);
    }
    const results = await execute(`${inlineSql(revokeStatement(id))} SELECT id, name, revoked_at FROM api_keys WHERE id = ${sqlLiteral(id)}`, t);
    const row = results[results.length - 1][0];
    if (!row) throw new Error(`No key with id ${id}.`);
    return row;
  }
  if (!t.remote) await migrate(t);
  const [rows] = await execute(LIST_KEYS_SQL, t);
  return rows;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main(process.argv.slice(2)).then(
    (out) => {
      if (out !== undefined) console.log(JSON.stringify(out, null, Array.isArray(out) ? 2 : undefined));
    },
    (e) => {
      console.error(e instanceof UsageError ? `keys: ${e.message}\n${USAGE}` : `keys: ${(e as Error).message}`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    },
  );
}
