/** The RiVEG matching rule (`statistic/statistic.py`, https://github.com/JinYuanLi0012/RiVEG) on hand-built cases, and the bipartite variant. */
import { describe, expect, it } from 'vitest';
import type { GoldEntity, PredEntity } from '../../shared/eval/entities';
import { normalizeImageId } from '../../shared/eval/entities';
import { scoreEntities } from '../../shared/eval/grounded';
import { withOracleRegions, withRegionsNone } from '../../shared/eval/oracle';
import { rleFromPolygon } from '../../shared/eval/poly';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const A = box(0, 0, 10, 10);
const B = box(100, 100, 110, 110);
const gold = (name: string, boxes: ReturnType<typeof box>[], type = 'PER', id = '1'): GoldEntity => ({ id, name, type, groundable: boxes.length > 0, boxes });
const pred = (name: string, b: ReturnType<typeof box> | null, type = 'PER', id = '1'): PredEntity => ({ id, name, type, groundable: b !== null, box: b });

describe('greedy matching (statistic.py)', () => {
  it('both None is correct; None vs a groundable gold is not', () => {
    expect(scoreEntities('gmner', [gold('Bob', [])], [pred('Bob', null)]).tp).toBe(1);
    expect(scoreEntities('gmner', [gold('Bob', [A])], [pred('Bob', null)]).tp).toBe(0);
  });
  it('a box never matches an ungroundable gold, however it lies', () => {
    expect(scoreEntities('gmner', [gold('Bob', [])], [pred('Bob', box(0, 0, 0, 0))]).tp).toBe(0);
  });
  it('IoU >= 0.5 with ANY gold box; exactly 0.5 counts', () => {
    expect(scoreEntities('gmner', [gold('Ann', [A, B])], [pred('Ann', box(101, 101, 111, 111))]).tp).toBe(1);
    expect(scoreEntities('gmner', [gold('Ann', [A])], [pred('Ann', box(0, 0, 5, 10))]).tp).toBe(1); // IoU 0.5
    expect(scoreEntities('gmner', [gold('Ann', [A])], [pred('Ann', box(0, 0, 4.9, 10))]).tp).toBe(0);
  });
  it('duplicate keys: each gold line is used once, in prediction order', () => {
    const g = [gold('NBA', [], 'ORG'), gold('NBA', [], 'ORG')];
    const p = [pred('NBA', null, 'ORG'), pred('NBA', null, 'ORG'), pred('NBA', null, 'ORG')];
    const s = scoreEntities('gmner', g, p);
    expect([s.tp, s.n_pred, s.n_gold]).toEqual([2, 3, 2]);
    expect(s.pairs).toEqual([[0, 0], [1, 1]]);
  });
  it('a None prediction skips a groundable gold line and takes a later None one with the same key', () => {
    const g = [gold('Bob', [A]), gold('Bob', [])];
    const s = scoreEntities('gmner', g, [pred('Bob', null), pred('Bob', A)]);
    expect(s.pairs).toEqual([[0, 1], [1, 0]]);
  });
  it('key = image id + Name + TYPE; EEG drops the type; FMNERG uses the fine type', () => {
    const g = [gold('Paris', [], 'LOC')];
    expect(scoreEntities('gmner', g, [pred('Paris', null, 'ORG')]).tp).toBe(0);
    expect(scoreEntities('eeg', g, [pred('Paris', null, 'ORG')]).tp).toBe(1);
    expect(scoreEntities('gmner', g, [pred('Paris', null, 'LOC', '2')]).tp).toBe(0);
    const fg: GoldEntity = { ...gold('Paris', [], 'location'), fine_type: 'city' };
    expect(scoreEntities('fmnerg', [fg], [{ ...pred('Paris', null, 'location'), fine_type: 'city' }]).tp).toBe(1);
    expect(scoreEntities('fmnerg', [fg], [{ ...pred('Paris', null, 'location'), fine_type: 'country' }]).tp).toBe(0);
  });
  it('MNER ignores regions', () => {
    expect(scoreEntities('mner', [gold('Bob', [A])], [pred('Bob', null)]).tp).toBe(1);
  });
  it('P over all predictions, R over all gold lines', () => {
    const s = scoreEntities('gmner', [gold('a', []), gold('b', []), gold('c', [])], [pred('a', null), pred('x', null)]);
    expect(s.precision).toBe(50);
    expect(s.recall).toBeCloseTo(100 / 3, 12);
    expect(s.f1).toBeCloseTo(40, 12);
  });
  it('a groundable prediction without a region counts wrong (VG missing)', () => {
    expect(scoreEntities('gmner', [gold('Bob', [A])], [{ ...pred('Bob', null), groundable: true }]).tp).toBe(0);
  });
});

describe('bipartite vs greedy', () => {
  // gold g0 has boxes A and B, g1 only A; p0's box fits both, p1's only g1... greedy gives p0 the first (g0)
  const g = [gold('Kim', [B, A]), gold('Kim', [A])];
  const p = [pred('Kim', A), pred('Kim', B)];
  it('greedy takes the first fitting gold line and strands the second prediction', () => {
    expect(scoreEntities('gmner', g, p).tp).toBe(1);
  });
  it('maximum matching finds both', () => {
    const s = scoreEntities('gmner', g, p, { matching: 'bipartite' });
    expect(s.tp).toBe(2);
    expect(s.pairs).toEqual([[0, 1], [1, 0]]);
  });
  it('never fewer than greedy, and equal when keys are unique', () => {
    const g2 = [gold('a', [A]), gold('b', [])];
    const p2 = [pred('a', A), pred('b', B)];
    expect(scoreEntities('gmner', g2, p2, { matching: 'bipartite' }).tp).toBe(scoreEntities('gmner', g2, p2).tp);
  });
});

describe('SMNER masks', () => {
  const m1 = rleFromPolygon([1, 1, 8, 1, 8, 6, 1, 6], 10, 10); // 35 px
  const m2 = rleFromPolygon([4, 3, 9, 3, 9, 9, 4, 9], 10, 10); // 30 px, 12 shared with m1
  const g: GoldEntity = { id: '1', name: 'Ann', type: 'PER', groundable: true, boxes: [], masks: [m2, m1] };
  it('a mask counts when IoU >= 0.5 with any gold mask of the entity', () => {
    expect(scoreEntities('smner', [g], [{ ...pred('Ann', null), groundable: true, mask: m1 }]).tp).toBe(1);
    expect(scoreEntities('smner', [{ ...g, masks: [m2] }], [{ ...pred('Ann', null), groundable: true, mask: m1 }]).tp).toBe(0);
  });
});

describe('counterfactual regions', () => {
  it('every region None / a perfect grounding', () => {
    const g = [gold('a', [A]), gold('b', [])];
    const p = [pred('a', B), pred('b', B)];
    expect(scoreEntities('gmner', g, p).tp).toBe(0);
    expect(scoreEntities('gmner', g, withRegionsNone(p)).tp).toBe(1);
    expect(scoreEntities('gmner', g, withOracleRegions(p, g)).tp).toBe(1); // b stays groundable: still wrong
  });
});

describe('normalizeImageId', () => {
  it.each([
    ['5001', '5001'],
    ['5001.jpg', '5001'],
    ['Imageid:O_5003.jpg#182b', 'O_5003'],
    ['16_05_20_640.jpg', '16_05_20_640'],
  ])('%s -> %s', (raw, id) => expect(normalizeImageId(raw)).toBe(id));
});
