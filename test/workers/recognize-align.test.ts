import { describe, expect, it } from 'vitest';
import { alignAll, findMentions } from '../../shared/recognize/align';

const slice = (text: string, spans: { start: number; end: number }[]) => spans.map((s) => text.slice(s.start, s.end));

describe('findMentions', () => {
  it('finds exact matches with UTF-16 offsets, every occurrence', () => {
    const text = 'RT @ NewsRiver : # BREAKING : Water main break floods streets in Harbor Heights ; Live updates on NewsRiver';
    expect(findMentions(text, 'NewsRiver')).toEqual([{ start: 5, end: 14 }, { start: 98, end: 107 }]);
  });

  it('counts offsets in UTF-16 units, after emoji and accents', () => {
    const text = '🔥🔥 Beyoncé at Levi\'s Stadium';
    const [b] = findMentions(text, 'Beyoncé');
    expect(b).toEqual({ start: 5, end: 12 });
    expect(text.slice(b.start, b.end)).toBe('Beyoncé');
  });

  it('never matches inside a word', () => {
    expect(findMentions('LAKERS fans in Alabama', 'LA')).toEqual([]);
    expect(findMentions('Go Lakers! LA loves you', 'LA')).toEqual([{ start: 11, end: 13 }]);
  });

  it('falls back to case-insensitive matching only when there is no exact match', () => {
    const text = 'nba finals tonight , NBA fans';
    expect(slice(text, findMentions(text, 'NBA'))).toEqual(['NBA']);
    expect(slice(text, findMentions(text, 'Nba'))).toEqual(['nba', 'NBA']);
  });

  it('tolerates tokenization spaces in either direction', () => {
    const tokenized = "Kevin Durant 's return to Oracle Arena";
    expect(slice(tokenized, findMentions(tokenized, "Kevin Durant's"))).toEqual(["Kevin Durant 's"]);
    const raw = "Kevin Durant's return";
    expect(slice(raw, findMentions(raw, "Kevin Durant 's"))).toEqual(["Kevin Durant's"]);
    expect(slice('St . Petersberg by Gordeev', findMentions('St . Petersberg by Gordeev', 'St. Petersberg'))).toEqual(['St . Petersberg']);
  });

  it('leaves a leading # or @ out of the span, on either side', () => {
    const t1 = 'Follow us on # Instagram and @ nytimes';
    expect(slice(t1, findMentions(t1, '#Instagram'))).toEqual(['Instagram']);
    expect(slice(t1, findMentions(t1, '@nytimes'))).toEqual(['nytimes']);
    const t2 = 'Congrats #Warriors on the title';
    expect(slice(t2, findMentions(t2, '#Warriors'))).toEqual(['Warriors']);
    expect(slice(t2, findMentions(t2, 'Warriors'))).toEqual(['Warriors']);
  });

  it('treats curly and straight apostrophes alike', () => {
    const text = 'Dinner at McDonald’s tonight';
    expect(slice(text, findMentions(text, "McDonald's"))).toEqual(['McDonald’s']);
  });

  it('does not invent matches', () => {
    expect(findMentions('The Baker s Guild', "The Baker's Guild")).toEqual([]);
    expect(findMentions('anything', '   ')).toEqual([]);
  });
});

describe('alignAll', () => {
  const item = (text: string, type = 'ORG') => ({ text, type, payload: text });

  it('lets the longer name claim its span and keeps other occurrences of the shorter one', () => {
    const text = 'Golden State Warriors win ! Warriors fans celebrate';
    const { placed, unplaced } = alignAll(text, [item('Warriors'), item('Golden State Warriors')]);
    expect(placed.map((p) => [p.text, p.start])).toEqual([['Golden State Warriors', 0], ['Warriors', 28]]);
    expect(unplaced).toEqual([]);
  });

  it('reports an entity absent from the text, and one fully covered by another', () => {
    const text = 'Ashgrove Botanic Garden in spring';
    const { placed, unplaced } = alignAll(text, [item('Ashgrove Botanic Garden', 'LOC'), item('Ashgrove Botanic', 'LOC'), item('Barack Obama', 'PER')]);
    expect(placed.map((p) => p.text)).toEqual(['Ashgrove Botanic Garden']);
    expect(unplaced.map((u) => [u.text, u.reason])).toEqual([
      ['Ashgrove Botanic', "overlaps 'Ashgrove Botanic Garden' (LOC)"],
      ['Barack Obama', 'not found in the text'],
    ]);
  });

  it('merges a repeated listing of the same entity silently but reports a type conflict', () => {
    const text = 'NBA tonight';
    expect(alignAll(text, [item('NBA'), item('NBA')])).toEqual({ placed: [{ start: 0, end: 3, text: 'NBA', type: 'ORG', payload: 'NBA' }], unplaced: [] });
    const r = alignAll(text, [item('NBA', 'ORG'), item('NBA', 'OTHER')]);
    expect(r.unplaced.map((u) => u.reason)).toEqual(["overlaps 'NBA' (ORG)"]);
  });

  it('returns spans in text order that slice back to their text', () => {
    const text = 'RT @ NewsRiver : Water main break in Harbor Heights ; Live updates on NewsRiver';
    const { placed } = alignAll(text, [item('Harbor Heights', 'LOC'), item('NewsRiver')]);
    expect(placed.map((p) => p.start)).toEqual([...placed.map((p) => p.start)].sort((a, b) => a - b));
    for (const p of placed) expect(text.slice(p.start, p.end)).toBe(p.text);
    expect(placed).toHaveLength(3);
  });
});

describe('alignAll work is bounded by the text, not squared', () => {
  it('places a one-letter name 5,000 times, listed 100 times (the candidate cap), in well under a second', () => {
    const text = 'A '.repeat(5000).trim(); // 9,999 characters, under the text limit
    const t0 = performance.now();
    const { placed, unplaced } = alignAll(text, Array.from({ length: 100 }, (_, i) => ({ text: 'A', type: 'PER', payload: i })));
    // before: every mention was checked against every placed span (23 s of CPU for this post)
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(placed).toHaveLength(5000);
    expect(placed.every((p, i) => p.start === 2 * i && p.payload === 0)).toBe(true);
    expect(unplaced).toEqual([]);
  });

  it('still resolves overlaps against the neighbours: a long name claims its spans, the short one keeps the rest', () => {
    const text = 'Golden State Warriors beat the Warriors of old ; Warriors';
    const { placed, unplaced } = alignAll(text, [
      { text: 'Warriors', type: 'ORG', payload: 'short' },
      { text: 'Golden State Warriors', type: 'ORG', payload: 'long' },
      { text: 'State', type: 'LOC', payload: 'inner' },
    ]);
    expect(placed.map((p) => [p.start, p.text, p.payload])).toEqual([[0, 'Golden State Warriors', 'long'], [31, 'Warriors', 'short'], [49, 'Warriors', 'short']]);
    expect(unplaced).toEqual([{ text: 'State', type: 'LOC', payload: 'inner', reason: "overlaps 'Golden State Warriors' (ORG)" }]);
  });
});
