/** seqeval-equivalent span extraction and MNER counting, hand-computed. */
import { describe, expect, it } from 'vitest';
import { scoreBio, scoreMner } from '../../shared/eval/mner';
import { bioSpans } from '../../shared/eval/seqeval';

const spans = (tags: string[]) => bioSpans(tags).map((s) => `${s.type}:${s.start}-${s.end}`);

describe('bioSpans (seqeval get_entities, default mode)', () => {
  it('plain BIO, end exclusive', () => {
    expect(spans(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual(['PER:0-2', 'LOC:3-4']);
  });
  it('an I- without a B- starts an entity', () => {
    expect(spans(['O', 'I-ORG', 'I-ORG', 'O'])).toEqual(['ORG:1-3']);
    expect(spans(['I-PER'])).toEqual(['PER:0-1']);
  });
  it('a type change inside a run splits it', () => {
    expect(spans(['B-PER', 'I-LOC', 'I-LOC'])).toEqual(['PER:0-1', 'LOC:1-3']);
  });
  it('B after B or I starts a new entity', () => {
    expect(spans(['B-PER', 'B-PER', 'I-PER', 'B-PER'])).toEqual(['PER:0-1', 'PER:1-3', 'PER:3-4']);
  });
  it('IOBES tags as AdaSeq writes them', () => {
    expect(spans(['S-PER', 'B-LOC', 'E-LOC', 'O', 'S-ORG'])).toEqual(['PER:0-1', 'LOC:1-3', 'ORG:4-5']);
  });
  it('fine types with underscores and dashes keep everything after the first dash', () => {
    expect(spans(['B-film_and_television_works', 'I-film_and_television_works'])).toEqual(['film_and_television_works:0-2']);
    expect(spans(['B-A-B', 'I-A-B'])).toEqual(['A-B:0-2']);
  });
  it('no entities', () => expect(spans(['O', 'O'])).toEqual([]));
});

describe('scoreMner', () => {
  it('micro P/R/F1 over exact span+type (seqeval docstring example: 0.50)', () => {
    const gold = [
      { id: 'a', tags: ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'] },
      { id: 'b', tags: ['B-PER', 'I-PER', 'O'] },
    ];
    const pred = [
      { id: 'a', tags: ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'] },
      { id: 'b', tags: ['B-PER', 'I-PER', 'O'] },
    ];
    expect(scoreBio(gold, pred)).toEqual({ precision: 50, recall: 50, f1: 50, tp: 1, n_pred: 2, n_gold: 2 });
  });
  it('a wrong type is wrong; duplicates collapse; unknown ids are false positives', () => {
    const gold = [{ id: '1', spans: [{ start: 0, end: 5, type: 'PER' }, { start: 10, end: 15, type: 'LOC' }] }];
    const pred = [
      { id: '1', spans: [{ start: 0, end: 5, type: 'PER' }, { start: 0, end: 5, type: 'PER' }, { start: 10, end: 15, type: 'ORG' }] },
      { id: '2', spans: [{ start: 0, end: 1, type: 'PER' }] },
    ];
    const s = scoreMner(gold, pred);
    expect([s.tp, s.n_pred, s.n_gold]).toEqual([1, 3, 2]);
    expect(s.precision).toBeCloseTo(100 / 3, 12);
    expect(s.recall).toBe(50);
    expect(s.f1).toBeCloseTo(40, 12);
  });
  it('empty sides give 0, not NaN', () => {
    expect(scoreMner([], [])).toEqual({ precision: 0, recall: 0, f1: 0, tp: 0, n_pred: 0, n_gold: 0 });
  });
});
