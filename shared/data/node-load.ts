/**
 * File-system loaders for Node only (commands and tests): the rest of shared/data parses strings and
 * runs anywhere. Never import this from functions/. The data stays outside the repository; its
 * default place is ../shared/research/data next to the checkout.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGmnerTweets, type GmnerTweet } from './gmner';
import { parseSmnerJson, type SmnerImage } from './smner';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_DATA_DIR = resolve(REPO_ROOT, '../shared/research/data');

/** A relative --data path is taken relative to the repository root, not the shell's cwd. */
export function resolveDataDir(arg?: string): string {
  return arg ? resolve(REPO_ROOT, arg) : DEFAULT_DATA_DIR;
}

export type Split = 'train' | 'dev' | 'test';

export const gmnerPaths = (dataDir = DEFAULT_DATA_DIR) => ({
  txt: (split: Split) => join(dataDir, 'GMNER/Twitter10000_v2.0/txt', `${split}.txt`),
  xml: join(dataDir, 'GMNER/Twitter10000_v2.0/xml'),
  fmnerg: (split: Split) => join(dataDir, 'FMNERG/Twitter10000v2/txt_fine', `${split}.txt`),
  rivegGold: join(dataDir, 'RiVEG/statistic/GMNER_finall_label.txt'),
  rivegPred: join(dataDir, 'RiVEG/statistic/OFAVE_to_OFAREC_augment.txt'),
});

/** xml lookup over a folder of `<id>.xml`; missing file = the image has no boxes. */
export function xmlDirReader(xmlDir: string): (id: string) => string | undefined {
  const have = existsSync(xmlDir) ? new Set(readdirSync(xmlDir)) : new Set<string>();
  return (id) => (have.has(`${id}.xml`) ? readFileSync(join(xmlDir, `${id}.xml`), 'utf8') : undefined);
}

/** Tweets of a CoNLL file (GMNER or FMNERG layout) with boxes from an xml folder. */
export function loadConllWithBoxes(conllFile: string, xmlDir: string): GmnerTweet[] {
  return buildGmnerTweets(readFileSync(conllFile, 'utf8'), xmlDirReader(xmlDir));
}

/** Twitter-GMNER v2.0: tokens, space-joined text, gold entities with token and char spans, boxes. */
export function loadGmnerSplit(split: Split = 'test', dataDir = DEFAULT_DATA_DIR): GmnerTweet[] {
  const p = gmnerPaths(dataDir);
  return loadConllWithBoxes(p.txt(split), p.xml);
}

/** Twitter-FMNERG txt_fine (coarse + fine types), boxes from the GMNER v2.0 xml. */
export function loadFmnergSplit(split: Split = 'test', dataDir = DEFAULT_DATA_DIR): GmnerTweet[] {
  const p = gmnerPaths(dataDir);
  return loadConllWithBoxes(p.fmnerg(split), p.xml);
}

/** One SMNER json file, or a folder of them (one per image, the file name as fallback image id). */
export function loadSmnerMasks(path: string): SmnerImage[] {
  const read = (f: string) => parseSmnerJson(JSON.parse(readFileSync(f, 'utf8')), basename(f, '.json'), f);
  if (!statSync(path).isDirectory()) return read(path);
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => read(join(path, f)));
}
