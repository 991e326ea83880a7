/**
 * The one declaration of the configuration (shared/config-variables.ts) and what is made from it: the typed reader,
 * the README's table, the variables `npm start` forwards, and the variables each generated Worker config carries.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tableFor } from '../../infra/cli';
import { MODEL_VARIABLES } from '../../infra/workers';
import { configTable, withConfigTable } from '../../scripts/config-table';
import { envFamilyString, envFlag, envInt, envString } from '../../shared/config';
import { CONFIG_VARIABLES, SECRET_VARIABLES, VARIABLES, scopeVariables, type VariableDecl } from '../../shared/config-variables';
// @ts-expect-error: a plain .mjs module without types (scripts/start.mjs imports it)
import { CONFIG_VARIABLES as FORWARDED } from '../../scripts/config-variables.mjs';

const decls = VARIABLES as readonly VariableDecl[];

describe('the declaration', () => {
  it('names each variable once, with a meaning, readers and a default of its type', () => {
    expect(new Set(decls.map((d) => d.name)).size).toBe(decls.length);
    for (const d of decls) {
      expect(d.meaning.length, d.name).toBeGreaterThan(0);
      expect(d.readers.length, d.name).toBeGreaterThan(0);
      if (d.default === undefined) continue;
      if (d.type === 'int') expect(Number.isInteger(d.default) && (d.default as number) > 0, d.name).toBe(true);
      if (d.type === 'flag') expect(typeof d.default, d.name).toBe('boolean');
      if (d.type === 'number') expect(typeof d.default, d.name).toBe('number');
    }
  });

  it('a scoped variable is read by the stage hosts, and the scopes nest (store ⊂ runtime ⊂ stage)', () => {
    for (const d of decls.filter((x) => x.scope)) expect(d.readers, d.name).toContain('stage');
    expect(scopeVariables('runtime')).toEqual(expect.arrayContaining(scopeVariables('store')));
    expect(scopeVariables('stage')).toEqual(expect.arrayContaining(scopeVariables('runtime')));
  });
});

describe('the reader', () => {
  it('trims text, falls back to the declared default for numbers and switches, and reads families', () => {
    expect(envString({ LLM_MODEL: '  m  ' }, 'LLM_MODEL')).toBe('m');
    expect(envString({ LLM_MODEL: ' ' }, 'LLM_MODEL')).toBeNull();
    expect(envInt({}, 'LLM_TIMEOUT_MS')).toBe(20_000);
    expect(envInt({ LLM_TIMEOUT_MS: '-3' }, 'LLM_TIMEOUT_MS')).toBe(20_000);
    expect(envInt({ LLM_TIMEOUT_MS: '1500' }, 'LLM_TIMEOUT_MS')).toBe(1500);
    expect(envFlag({}, 'LLM_JSON_SCHEMA')).toBe(true);
    expect(envFlag({ LLM_JSON_SCHEMA: 'off' }, 'LLM_JSON_SCHEMA')).toBe(false);
    expect(() => envInt({}, 'LLM_MAX_TOKENS')).toThrow(/declares no default/);
    expect(envFamilyString({ HOOK_KEY_CMS: ' key_1 ' }, 'HOOK_KEY_<SOURCE>', 'CMS')).toBe('key_1');
  });
});

describe('made from the declaration', () => {
  it('the README configuration table is the generated one (npm run config-table rewrites it)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withConfigTable(readme), 'README.md is out of date: run `npm run config-table`').toBe(readme);
    // every declared variable appears in it
    for (const d of decls) expect(configTable()).toContain(`\`${d.name}\``);
  });

  it('npm start forwards every var the api or a stage reads, and no binding or per-Worker var', () => {
    expect(FORWARDED).toEqual(CONFIG_VARIABLES);
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(['LLM_MODEL', 'MODEL_SET', 'VLM_BASE_URL', 'JOB_LEASE_S', 'STAGE_BATCH_SIZE']));
    for (const absent of ['ENTAIL_SERVICE', 'PART_MODEL', 'PLACEMENT', 'HOOK_SECRET_<SOURCE>']) expect(CONFIG_VARIABLES).not.toContain(absent);
  });

  it('a stage or model Worker config carries every stage-scope variable that is set, secrets only for dev', async () => {
    expect(MODEL_VARIABLES).toEqual(scopeVariables('stage'));
    const env: Record<string, string> = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin', GROUND_PROVIDER: 'onnx', LLM_MODEL: 'api-only' };
    for (const name of scopeVariables('stage')) if (!(name in env) && !name.endsWith('_MODEL')) env[name] = '1';
    const table = await tableFor(env);
    const expected = scopeVariables('stage').filter((n) => n in env && !SECRET_VARIABLES.has(n)).sort();
    for (const w of table.filter((x) => x.kind !== 'api')) {
      expect(Object.keys(w.vars).filter((k) => k !== 'PART_MODEL' && k !== 'PART_SHARD').sort(), w.name).toEqual(expected);
    }
    const dev = await tableFor(env, true);
    expect(dev.find((w) => w.kind === 'stage')!.vars.S3_SECRET_ACCESS_KEY).toBe('1');
  });
});
