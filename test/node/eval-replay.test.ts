/**
 * Replays the recorded RiVEG run (research/data/RiVEG/statistic) through the scorer and checks the
 * sanity anchors of that run (`OFAVE_to_OFAREC_augment.txt` against `GMNER_finall_label.txt`, string-key
 * one-to-one matching). Every number is computed here from the files; the literals are
 * only the expected values. Runs only where the research data folder exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gmnerGold } from '../../shared/data/gmner';
import { gmnerPaths, loadGmnerSplit, resolveDataDir } from '../../shared/data/node-load';
import { parseRivegGold, parseRivegPred, type RivegPred } from '../../shared/data/riveg';
import type { GoldEntity } from '../../shared/eval/entities';
import { evaluate } from '../../shared/eval/evaluate';
import { scoreEntities } from '../../shared/eval/grounded';
import { withOracleRegions, withRegionsNone } from '../../shared/eval/oracle';
import type { Score } from '../../shared/eval/score';

const dataDir = resolveDataDir();
const prf = (s: Score) => [s.precision, s.recall, s.f1].map((x) => x.toFixed(2));

describe.skipIf(!existsSync(dataDir))('RiVEG replay anchors', () => {
  // read in beforeAll: a skipped describe still runs its body to collect the tests
  let gold: GoldEntity[];
  let pred: RivegPred[];
  beforeAll(() => {
    const paths = gmnerPaths(dataDir);
    gold = parseRivegGold(readFileSync(paths.rivegGold, 'utf8'));
    pred = parseRivegPred(readFileSync(paths.rivegPred, 'utf8'));
  });

  it('reads the whole recorded run', () => {
    expect([gold.length, pred.length]).toEqual([2542, 2535]);
    expect(pred.filter((p) => p.groundable)).toHaveLength(1044);
  });

  it('MNER (span+type, one-to-one string keys): 86.27 / 86.03 / 86.15', () => {
    const { score } = evaluate('mner', { gold, pred });
    expect(prf(score)).toEqual(['86.27', '86.03', '86.15']);
    expect(score.tp).toBe(2187);
  });

  it('same predictions with every region None: GMNER 49.16 F1', () => {
    expect(prf(scoreEntities('gmner', gold, withRegionsNone(pred)))).toEqual(['49.23', '49.10', '49.16']);
  });

  it('perfect grounding of the predicted groundable entities: GMNER 73.00 F1', () => {
    expect(prf(scoreEntities('gmner', gold, withOracleRegions(pred, gold)))).toEqual(['73.10', '72.90', '73.00']);
  });

  it('perfect MNER with every region None on the v2.0 test set: 58.87 F1 (1,497 / 2,543)', () => {
    const g = gmnerGold(loadGmnerSplit('test', dataDir));
    const s = scoreEntities('gmner', g, withRegionsNone(g.map((e) => ({ ...e, box: null }))));
    expect(s.f1.toFixed(2)).toBe('58.87');
    expect([s.tp, s.n_pred, s.n_gold]).toEqual([1497, 2543, 2543]);
  });

  it('further §3.7 rows: span only 91.90, VG never right 42.39', () => {
    const untyped = <T extends { type: string }>(xs: T[]) => xs.map((x) => ({ ...x, type: '' }));
    expect(prf(evaluate('mner', { gold: untyped(gold), pred: untyped(pred) }).score)).toEqual(['92.03', '91.78', '91.90']);
    // the shipped file has no VG boxes: its groundable predictions can never be right
    expect(prf(scoreEntities('gmner', gold, pred))).toEqual(['42.45', '42.33', '42.39']);
  });

  it('maximum matching changes nothing on this run (gold lines with one key share their boxes)', () => {
    const oracle = withOracleRegions(pred, gold);
    expect(scoreEntities('gmner', gold, oracle, { matching: 'bipartite' }).tp).toBe(scoreEntities('gmner', gold, oracle).tp);
  });
});
