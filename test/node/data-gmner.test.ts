/**
 * The readers against the real Twitter-GMNER v2.0 / FMNERG files and RiVEG's gold label file
 * (https://github.com/NUSTM/GMNER, https://github.com/NUSTM/FMNERG, https://github.com/JinYuanLi0012/RiVEG `statistic/`).
 * Runs only where the research data folder exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gmnerGold, type GmnerTweet } from '../../shared/data/gmner';
import { gmnerPaths, loadFmnergSplit, loadGmnerSplit, resolveDataDir } from '../../shared/data/node-load';
import { parseRivegGold } from '../../shared/data/riveg';
import type { GoldEntity } from '../../shared/eval/entities';

const dataDir = resolveDataDir();

/** xml objects: two mentions of one name in a tweet share (not double) the name's boxes */
const boxCount = (tweets: GmnerTweet[]) =>
  tweets.reduce((n, t) => n + [...new Map(t.entities.map((e) => [e.text, e.boxes.length])).values()].reduce((a, b) => a + b, 0), 0);

describe.skipIf(!existsSync(dataDir))('Twitter-GMNER v2.0 and FMNERG readers on the research data', () => {
  // read in beforeAll: a skipped describe still runs its body to collect the tests
  let test: GmnerTweet[];
  let dev: GmnerTweet[];
  beforeAll(() => {
    test = loadGmnerSplit('test', dataDir);
    dev = loadGmnerSplit('dev', dataDir);
  });

  it('test: 1,500 tweets, 2,543 entities, 1,046 groundable with 1,242 boxes, 855 tweets with a box', () => {
    const e = test.flatMap((t) => t.entities);
    expect([test.length, e.length, e.filter((x) => x.groundable).length]).toEqual([1500, 2543, 1046]);
    expect(boxCount(test)).toBe(1242);
    expect(test.filter((t) => t.image).length).toBe(855);
    expect(new Set(test.map((t) => t.id)).size).toBe(1500);
  });

  it('test by type (all / groundable): PER 1104/711, ORG 638/181, LOC 404/40, OTHER 397/114', () => {
    const e = test.flatMap((t) => t.entities);
    const by = (ty: string) => [e.filter((x) => x.type === ty).length, e.filter((x) => x.type === ty && x.groundable).length];
    expect([by('PER'), by('ORG'), by('LOC'), by('OTHER')]).toEqual([[1104, 711], [638, 181], [404, 40], [397, 114]]);
  });

  it('dev: 1,500 tweets, 2,450 entities, 991 groundable, 1,164 boxes', () => {
    const e = dev.flatMap((t) => t.entities);
    expect([dev.length, e.length, e.filter((x) => x.groundable).length, boxCount(dev)]).toEqual([1500, 2450, 991, 1164]);
  });

  it('char spans index the space-joined text', () => {
    for (const t of test) for (const e of t.entities) expect(t.text.slice(e.start, e.end)).toBe(e.text);
  });

  it("RiVEG's gold label file is v2.0 test without tweet 15772, boxes included", () => {
    const line = (g: GoldEntity) => `${g.id}|${g.name}|${g.type}|${g.groundable}|${JSON.stringify(g.boxes)}`;
    const ours = gmnerGold(test).filter((g) => g.id !== '15772').map(line).sort();
    const riveg = parseRivegGold(readFileSync(gmnerPaths(dataDir).rivegGold, 'utf8')).map(line).sort();
    expect(riveg).toEqual(ours);
    expect(gmnerGold(test).filter((g) => g.id === '15772').map((g) => [g.name, g.type, g.groundable])).toEqual([['Selena Quintanilla', 'PER', true]]);
  });

  it('FMNERG txt_fine has exactly the GMNER v2.0 spans, each with a fine type', () => {
    for (const [split, n] of [['train', 11779], ['dev', 2450], ['test', 2543]] as const) {
      const f = loadFmnergSplit(split, dataDir);
      const g = loadGmnerSplit(split, dataDir);
      const spans = (ts: typeof f) => ts.flatMap((t) => t.entities.map((e) => `${t.id}:${e.tokenStart}-${e.tokenEnd}`));
      expect(spans(f)).toHaveLength(n);
      expect(spans(f)).toEqual(spans(g));
      expect(f.flatMap((t) => t.entities).every((e) => typeof e.fine_type === 'string' && e.fine_type.length > 0)).toBe(true);
    }
  });
});
