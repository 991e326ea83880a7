/**
 * `npm run eval` (scripts/eval.ts) as a user runs it, on the hand-written fixtures.
 * Expected values, worked by hand from test/fixtures/eval/riveg-*.txt:
 *   Alice box IoU 81/119 with gold box 2 -> right; Bob(box) skips the None gold line and hits the boxed one;
 *   Bob(None) takes the remaining None line; Paris(ORG) is the wrong type (right for EEG); Acme has a box
 *   but gold says None; Zed is not in the gold. GMNER 3 of 6 predicted / 5 gold; EEG 4; MNER 4.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../shared/data/node-load';
import { evalCli } from '../support/cli';

const FIX = join(REPO_ROOT, 'test/fixtures/eval');
const GOLD = join(FIX, 'riveg-gold.txt');
const ASM = join(FIX, 'riveg-pred-assembled.txt');

const json = (stdout: string) => JSON.parse(stdout.trim());

describe('npm run eval (scoring files)', () => {
  it('--json prints exactly {task,precision,recall,f1,tp,n_pred,n_gold} in percent', async () => {
    const r = await evalCli(['--task', 'gmner', '--gold', GOLD, '--pred', ASM, '--json']);
    expect(r.code).toBe(0);
    const o = json(r.stdout);
    expect(Object.keys(o)).toEqual(['task', 'precision', 'recall', 'f1', 'tp', 'n_pred', 'n_gold']);
    expect(o).toMatchObject({ task: 'gmner', precision: 50, recall: 60, tp: 3, n_pred: 6, n_gold: 5 });
    expect(o.f1).toBeCloseTo(600 / 11, 10);
  });

  it('EEG and MNER on the same files', async () => {
    const [eeg, mner] = await Promise.all(['eeg', 'mner'].map((t) => evalCli(['--task', t, '--gold', GOLD, '--pred', ASM, '--json'])));
    expect(json(eeg.stdout)).toMatchObject({ tp: 4, n_pred: 6, n_gold: 5 });
    expect(json(mner.stdout)).toMatchObject({ tp: 4, n_pred: 6, n_gold: 5 });
  });

  it('prints a table by default', async () => {
    const r = await evalCli(['--gold', GOLD, '--pred', ASM]);
    expect(r.stdout).toMatch(/^task\s+P\s+R\s+F1\s+tp\s+pred\s+gold/);
    expect(r.stdout).toMatch(/gmner\s+50\.00\s+60\.00\s+54\.55\s+3\s+6\s+5/);
  });

  it('raw OFAVE predictions + --boxes (refcoco json) equal the assembled file', async () => {
    const r = await evalCli(['--gold', GOLD, '--pred', join(FIX, 'riveg-pred.txt'), '--boxes', join(FIX, 'riveg-refcoco.json'), '--json']);
    expect(json(r.stdout)).toMatchObject({ tp: 3, n_pred: 6 });
  });

  it('--regions none|oracle', async () => {
    const none = await evalCli(['--gold', GOLD, '--pred', ASM, '--regions', 'none', '--json']);
    const oracle = await evalCli(['--gold', GOLD, '--pred', ASM, '--regions', 'oracle', '--json']);
    expect(json(none.stdout).tp).toBe(2); // the first Bob and Acme: None against None
    expect(json(oracle.stdout).tp).toBe(3); // Alice, Bob(box), Bob(None); Acme stays wrong
  });

  it('CoNLL gold with xml beside it; CoNLL predictions score as None everywhere', async () => {
    const conll = join(FIX, 'data/GMNER/Twitter10000_v2.0/txt/test.txt');
    const g = await evalCli(['--task', 'gmner', '--gold', conll, '--pred', conll, '--json']);
    expect(json(g.stdout)).toMatchObject({ tp: 3, n_pred: 5, n_gold: 5 }); // Paris, Bob, Acme Corp are None; Alice and New York are boxed
    const m = await evalCli(['--task', 'mner', '--gold', conll, '--pred', conll, '--json']);
    expect(json(m.stdout)).toMatchObject({ f1: 100, tp: 5 });
  });

  it('bad arguments exit 2 with a message', async () => {
    const r = await evalCli(['--task', 'nope', '--gold', GOLD, '--pred', ASM]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--task must be one of gmner, eeg, mner, fmnerg, smner/);
    const f = await evalCli(['--task', 'fmnerg', '--gold', GOLD, '--pred', ASM]);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/fine types/);
  });
});
