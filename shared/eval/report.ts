/** Human and machine renderings of scores for `npm run eval`. */
import type { Score } from './score';

export interface ScoreRow extends Score {
  task: string;
  note?: string;
}

/** The --json shape: percentages as numbers, no rounding (rounding is the reader's business). */
export function scoreJson(r: ScoreRow): string {
  const { task, precision, recall, f1, tp, n_pred, n_gold } = r;
  return JSON.stringify({ task, precision, recall, f1, tp, n_pred, n_gold });
}

export function scoreTable(rows: readonly ScoreRow[]): string {
  const head = ['task', 'P', 'R', 'F1', 'tp', 'pred', 'gold', ''];
  const body = rows.map((r) => [
    r.task,
    r.precision.toFixed(2),
    r.recall.toFixed(2),
    r.f1.toFixed(2),
    String(r.tp),
    String(r.n_pred),
    String(r.n_gold),
    r.note ?? '',
  ]);
  const all = [head, ...body];
  const width = head.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  return all
    .map((row) => row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(width[c]) : cell.padStart(width[c]))).join('  ').trimEnd())
    .join('\n');
}
