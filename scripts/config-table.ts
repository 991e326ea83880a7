/**
 * `npm run config-table`: rewrites the README's Configuration table from the one declaration of the configuration
 * (shared/config-variables.ts), between the markers below. `--check` only reports whether it is up to date
 * (exit 1 if not); test/node/config-variables.test.ts runs the same check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VARIABLES, type Reader, type VariableDecl } from '../shared/config-variables';

export const START = '<!-- config-table:start (generated from shared/config-variables.ts by `npm run config-table`; do not edit) -->';
export const END = '<!-- config-table:end -->';

const READER: Record<Reader, string> = { api: 'api', stage: 'stage', model: 'model', start: '`npm start`' };

function shownDefault(d: VariableDecl): string {
  if (d.shown !== undefined) return d.shown;
  if (typeof d.default === 'boolean') return d.default ? '`on`' : '`off`';
  if (typeof d.default === 'number') return String(d.default);
  if (typeof d.default === 'string') return `\`${d.default}\``;
  return '—';
}

/** The table: one row per variable, neighbours that share default, readers and meaning in one row. */
export function configTable(decls: readonly VariableDecl[] = VARIABLES): string {
  const rows: { names: string[]; cells: string[] }[] = [];
  for (const d of decls) {
    const cells = [shownDefault(d), d.readers.map((r) => READER[r]).join(', '), d.meaning];
    const name = `\`${d.name}\`${d.secret ? ' (secret)' : ''}`;
    const last = rows.at(-1);
    if (last && last.cells.every((c, i) => c === cells[i])) last.names.push(name);
    else rows.push({ names: [name], cells });
  }
  const esc = (s: string) => s.replace(/\|/g, (m, i: number, all: string) => (all[i - 1] === '\\' ? m : '\\|'));
  return [
    '| variable | default | read by | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${[r.names.join(', '), ...r.cells].map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The README with its table replaced; throws if the markers are missing. */
export function withConfigTable(readme: string, table = configTable()): string {
  const a = readme.indexOf(START), b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} markers around the configuration table`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  const readme = readFileSync(path, 'utf8');
  const next = withConfigTable(readme);
  if (process.argv.includes('--check')) {
    console.log(next === readme ? 'README configuration table is up to date' : 'README configuration table is out of date: npm run config-table');
    process.exit(next === readme ? 0 : 1);
  }
  if (next !== readme) writeFileSync(path, next);
  console.log(next === readme ? 'README configuration table was up to date' : 'README configuration table rewritten');
}
