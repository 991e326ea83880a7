/** The load suite's judge of "a precise problem" (test/support/problem-check.ts) refuses what is not one. */
import { describe, expect, it } from 'vitest';
import { problemBody } from '../../shared/problems';
import { checkProblem, checkProblemBody } from '../support/problem-check';

const PJ = 'application/problem+json';
const good = problemBody('quota-exceeded', 'Monthly quota of 10 used.', 'req-1');

describe('checkProblem', () => {
  it('accepts a catalogue problem as the API writes it', () => {
    expect(checkProblem(429, PJ, JSON.stringify(good))).toMatchObject({ kind: 'quota-exceeded' });
    expect(checkProblemBody(null, { ...good })).toMatchObject({ kind: 'quota-exceeded' });
  });

  it('refuses the wrong media type, non-JSON, unknown types, mismatched status or title, and missing fields', () => {
    const cases: [number, string | null, string][] = [
      [429, 'application/json', JSON.stringify(good)],
      [500, 'text/plain', 'Internal Server Error'],
      [429, PJ, '{"type": '],
      [429, PJ, JSON.stringify({ ...good, type: 'https://gmner.dev/problems/made-up' })],
      [429, PJ, JSON.stringify({ ...good, type: 'about:blank' })],
      [503, PJ, JSON.stringify(good)],
      [429, PJ, JSON.stringify({ ...good, status: 503 })],
      [429, PJ, JSON.stringify({ ...good, title: 'Slow down' })],
      [429, PJ, JSON.stringify({ ...good, detail: '' })],
      [429, PJ, JSON.stringify({ ...good, request_id: undefined })],
    ];
    for (const [status, type, text] of cases) expect(typeof checkProblem(status, type, text), `${status} ${type} ${text}`).toBe('string');
  });
});
