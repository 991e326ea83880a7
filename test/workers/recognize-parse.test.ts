import { describe, expect, it } from 'vitest';
import { extractJson, removeTrailingCommas } from '../../shared/recognize/json-repair';
import { parseAnswer } from '../../shared/recognize/parse-answer';

const ok = { entities: [{ text: 'Kevin Durant', type: 'PER', fine_type: null, expansion: 'an American basketball player' }] };
const okText = JSON.stringify(ok);

describe('extractJson', () => {
  it('reads plain JSON', () => {
    expect(extractJson(okText)).toEqual({ ok: true, value: ok });
  });

  it('reads JSON inside a code fence, with or without a language tag', () => {
    expect(extractJson('```json\n' + okText + '\n```')).toEqual({ ok: true, value: ok });
    expect(extractJson('Here:\n```\n' + okText + '\n```\nDone.')).toEqual({ ok: true, value: ok });
  });

  it('reads JSON with prose around it, skipping braces in the prose', () => {
    const text = `Sure! I found {one} entity:\n${JSON.stringify(ok, null, 2)}\nHope this helps {:}`;
    expect(extractJson(text)).toEqual({ ok: true, value: ok });
  });

  it('repairs trailing commas but not commas inside strings', () => {
    expect(removeTrailingCommas('{"a": [1, 2,], "b": "x,]",}')).toBe('{"a": [1, 2], "b": "x,]"}');
    expect(extractJson('{"entities": [{"text": "NBA", "type": "ORG",},],}')).toEqual({ ok: true, value: { entities: [{ text: 'NBA', type: 'ORG' }] } });
  });

  it('keeps braces and escaped quotes inside strings intact', () => {
    const v = { entities: [{ text: 'He said "}{"', type: 'OTHER' }] };
    expect(extractJson('prose ' + JSON.stringify(v) + ' prose')).toEqual({ ok: true, value: v });
  });

  it('says why nothing could be read', () => {
    expect(extractJson('')).toEqual({ ok: false, reason: 'the answer was empty' });
    expect(extractJson('{"entities": [{"text": "')).toMatchObject({ ok: false });
    expect(extractJson('I cannot help with that.')).toMatchObject({ ok: false });
  });
});

describe('extractJson bounds its search', () => {
  it('gives up on 32,000 unbalanced braces within the budget, quickly', () => {
    const t0 = performance.now();
    const r = extractJson('{'.repeat(32_000));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/search stopped at its limit of 32 candidates/) });
  });

  it('tries at most `attempts` openers and scans at most `chars` characters', () => {
    const prose = 'x {'.repeat(5) + okText;
    expect(extractJson(prose)).toEqual({ ok: true, value: ok });
    expect(extractJson(prose, { attempts: 5, chars: 1e6 })).toMatchObject({ ok: false });
    expect(extractJson(prose, { attempts: 6, chars: 1e6 })).toEqual({ ok: true, value: ok });
    expect(extractJson('{'.repeat(1000) + okText, { attempts: 2000, chars: 20_000 })).toMatchObject({ ok: false, reason: expect.stringMatching(/20000 characters/) });
  });
});

describe('parseAnswer', () => {
  it('returns candidates with the fixed field names', () => {
    expect(parseAnswer(okText)).toEqual({ ok: true, candidates: [{ text: 'Kevin Durant', type: 'PER', fine_type: null, expansion: 'an American basketball player' }], dropped: [] });
  });

  it('accepts a bare list and common aliases of the field names', () => {
    const r = parseAnswer('[{"name": "Seattle", "label": "LOC", "description": "a city"}]');
    expect(r).toEqual({ ok: true, candidates: [{ text: 'Seattle', type: 'LOC', fine_type: null, expansion: 'a city' }], dropped: [] });
  });

  it('drops a malformed entry and keeps the rest', () => {
    const r = parseAnswer('{"entities": [{"type": "PER"}, "just a string", {"text": "NBA", "type": "ORG"}]}');
    expect(r.ok && r.candidates.map((c) => c.text)).toEqual(['NBA']);
    expect(r.ok && r.dropped.map((d) => d.reason)).toEqual(['malformed entry: no entity text', 'malformed entry: no entity text']);
  });

  it('an empty list is a valid answer', () => {
    expect(parseAnswer('{"entities": []}')).toEqual({ ok: true, candidates: [], dropped: [] });
  });

  it('is unusable without an entity list', () => {
    expect(parseAnswer('{"people": ["Kevin Durant"]}')).toEqual({ ok: false, reason: 'the JSON has no "entities" list' });
    expect(parseAnswer('no json here').ok).toBe(false);
  });
});
