/**
 * `npm run eval -- --html FILE --plot FILE`: per-type precision/recall (shared/eval/report-plot.ts) and the
 * HTML overlays (shared/eval/report-html.ts), on the hand-written fixtures of eval-cli.test.ts:
 * PER 3 of 4 predicted / 3 gold (Zed is not in the gold), ORG 0 of 2 / 1 (Paris is a LOC), LOC 0 of 0 / 1.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../shared/data/node-load';
import { parseRivegGold, parseRivegPred } from '../../shared/data/riveg';
import { htmlReport } from '../../shared/eval/report-html';
import { precisionRecallSvg, scoresByType } from '../../shared/eval/report-plot';
import { encodePngRgb } from '../../shared/vision/png-encode';
import { evalCli } from '../support/cli';

const FIX = join(REPO_ROOT, 'test/fixtures/eval');
const gold = parseRivegGold(readFileSync(join(FIX, 'riveg-gold.txt'), 'utf8'));
const pred = parseRivegPred(readFileSync(join(FIX, 'riveg-pred-assembled.txt'), 'utf8'));
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('eval reports', () => {
  it('scores each type on its own slice; under GMNER the per-type true positives add up to the total', () => {
    const rows = scoresByType('gmner', { gold, pred });
    expect(rows.map((r) => [r.type, r.tp, r.n_pred, r.n_gold])).toEqual([['LOC', 0, 0, 1], ['ORG', 0, 2, 1], ['PER', 3, 4, 3]]);
    expect(rows.find((r) => r.type === 'PER')).toMatchObject({ precision: 75, recall: 100 });
  });

  it('draws one precision and one recall bar per type, with heights in proportion', () => {
    const svg = precisionRecallSvg(scoresByType('gmner', { gold, pred }), 'GMNER <test>');
    expect(count(svg, /<rect class="precision"/g)).toBe(3);
    expect(count(svg, /<rect class="recall"/g)).toBe(3);
    const height = (cls: string, type: string) => Number(svg.match(new RegExp(`class="${cls}" data-type="${type}"[^>]*height="([\\d.]+)"`))![1]);
    expect(height('recall', 'PER')).toBeCloseTo(220, 5);
    expect(height('precision', 'PER')).toBeCloseTo(165, 5);
    expect(height('recall', 'ORG')).toBe(0);
    expect(svg).toContain('GMNER &lt;test&gt;');
  });

  it('overlays every gold box and every predicted box, marks misses, and escapes the post text', () => {
    const texts = new Map([['1', 'Alice and Bob <script>alert(1)</script>'], ['2', 'Paris & Acme']]);
    const images = new Map(['1', '2', '3'].map((id) => [id, { src: `img/${id}.png`, width: 100, height: 80 }]));
    const html = htmlReport({ title: 't', scores: [], byType: [], gold, pred, texts, images });
    expect(count(html, /<section class="post"/g)).toBe(3);
    expect(count(html, /<rect class="gold"/g)).toBe(3); // Alice's two boxes, Bob's one
    expect(count(html, /<rect class="pred/g)).toBe(3); // Alice, Bob, Acme
    expect(count(html, /<rect class="pred miss"/g)).toBe(1); // Acme: gold says None
    expect(html).toContain('<svg viewBox="0 0 100 80"');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('npm run eval -- --html --plot writes both files, with images linked relative to the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmner-report-'));
    mkdirSync(join(dir, 'images'));
    const img = { width: 64, height: 48, data: new Uint8ClampedArray(64 * 48 * 4).fill(200) } as never;
    writeFileSync(join(dir, 'images', '1.jpg'), encodePngRgb(img)); // the dataset names every file .jpg
    const r = await evalCli(['--gold', join(FIX, 'riveg-gold.txt'),
      '--pred', join(FIX, 'riveg-pred-assembled.txt'), '--images', join(dir, 'images'), '--html', join(dir, 'report.html'), '--plot', join(dir, 'plot.svg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gmner\s+50\.00\s+60\.00/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<img src="images/1.jpg"');
    expect(html).toContain('<svg viewBox="0 0 64 48"');
    expect(readFileSync(join(dir, 'plot.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  }, 30_000);
});
