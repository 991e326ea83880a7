/**
 * Node-only: reads the recorded ChatGPT output for all 1,500 Twitter-GMNER v2.0 test posts from the
 * team handbook's data (../shared/research/data), never from the repository:
 *  - RiVEG/MNER/Twitter10000_noaugment.zip, test.txt: each post's tokens, `<EOS>`, then ChatGPT's
 *    auxiliary knowledge in PGIM's format (one whitespace token per line, label X);
 *  - GMNER/Twitter10000_v2.0/txt/test.txt: the same posts in the same order with their image ids;
 *  - RiVEG/statistic/OFAVE_to_OFAREC_augment.txt: RiVEG's ChatGPT expansion answers per
 *    `Imageid:<id>.jpg#<n>###Name(TYPE)###Name(TYPE)-<answer>###<VE>` line.
 * Returns null when the data is not there (the full replay is then skipped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import type { Recording } from './recordings';

/** ../shared/research/data next to the checkout, or GMNER_SHARED_DATA. */
export function sharedDataDir(): string {
  const env = process.env.GMNER_SHARED_DATA;
  if (env) return env;
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return resolve(repo, '..', 'shared', 'research', 'data');
}

export function sharedDataAvailable(dir = sharedDataDir()): boolean {
  return ['RiVEG/MNER/Twitter10000_noaugment.zip', 'GMNER/Twitter10000_v2.0/txt/test.txt', 'RiVEG/statistic/OFAVE_to_OFAREC_augment.txt'].every((p) =>
    existsSync(resolve(dir, p)),
  );
}

/** CoNLL blocks (blank-line separated), CRLF tolerated. */
function blocks(text: string): string[][] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((b) => b.split('\n').filter((l) => l.trim() !== ''))
    .filter((b) => b.length > 0);
}

export interface GmnerPost {
  id: string;
  tokens: string[];
  tags: string[];
}

export function readGmnerSplit(path: string): GmnerPost[] {
  return blocks(readFileSync(path, 'utf8')).map((b) => {
    const id = b[0].replace(/^IMGID:/, '').trim();
    const rows = b.slice(1).map((l) => l.split('\t'));
    return { id, tokens: rows.map((r) => r[0]), tags: rows.map((r) => (r[1] ?? 'O').trim()) };
  });
}

function readKnowledge(zipPath: string, member: string): Array<{ tokens: string[]; knowledge: string }> {
  const files = unzipSync(readFileSync(zipPath), { filter: (f) => f.name === member });
  const data = files[member];
  if (!data) throw new Error(`${member} is not in ${zipPath}`);
  return blocks(strFromU8(data)).map((b) => {
    const words = b.map((l) => l.split('\t')[0]);
    const eos = words.indexOf('<EOS>');
    return eos === -1 ? { tokens: words, knowledge: '' } : { tokens: words.slice(0, eos), knowledge: words.slice(eos + 1).join(' ') };
  });
}

function readExpansions(path: string): Map<string, Array<{ entity: string; description: string }>> {
  const byId = new Map<string, Array<{ entity: string; description: string }>>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const f = line.split('###');
    if (f.length < 3) continue;
    const id = f[0].replace(/^Imageid:/, '').replace(/\.jpg#.*$/, '');
    const entity = f[1];
    const description = f[2].startsWith(`${entity}-`) ? f[2].slice(entity.length + 1) : f[2];
    if (!byId.has(id)) byId.set(id, []);
    byId.get(id)!.push({ entity, description });
  }
  return byId;
}

/** Every test post with its recorded knowledge and expansions, or null without the data. */
export function loadTestRecordings(dir = sharedDataDir()): { recordings: Recording[]; posts: GmnerPost[] } | null {
  return loadRecordings('test', dir);
}

/**
 * Any split's posts with ChatGPT's knowledge (the zip names dev `valid.txt`). RiVEG's expansion
 * answers exist for test posts only. The train split is for developing the type vocabulary; the
 * measurement is on test.
 */
export function loadRecordings(split: 'train' | 'dev' | 'test', dir = sharedDataDir()): { recordings: Recording[]; posts: GmnerPost[] } | null {
  if (!sharedDataAvailable(dir)) return null;
  const posts = readGmnerSplit(resolve(dir, `GMNER/Twitter10000_v2.0/txt/${split}.txt`));
  const knowledge = readKnowledge(resolve(dir, 'RiVEG/MNER/Twitter10000_noaugment.zip'), split === 'dev' ? 'valid.txt' : `${split}.txt`);
  if (knowledge.length !== posts.length) throw new Error(`knowledge has ${knowledge.length} posts, GMNER ${split} has ${posts.length}`);
  const expansions = split === 'test' ? readExpansions(resolve(dir, 'RiVEG/statistic/OFAVE_to_OFAREC_augment.txt')) : new Map();
  const recordings = posts.map((p, i) => {
    // The zip carries no ids: it is joined to GMNER by position, so check the posts really agree.
    if (knowledge[i].tokens.join(' ') !== p.tokens.join(' ')) throw new Error(`post ${i} (${p.id}) differs between the zip and GMNER ${split}.txt`);
    return { id: p.id, text: p.tokens.join(' '), knowledge: knowledge[i].knowledge, expansions: expansions.get(p.id) ?? [] };
  });
  return { recordings, posts };
}
