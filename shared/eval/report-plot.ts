/**
 * Precision and recall per entity type, and an SVG bar chart of them (`npm run eval -- --plot FILE`).
 * Per-type scores reuse the scorer on each type's slice of gold and predictions; under GMNER, MNER and
 * FMNERG a match needs equal types, so the per-type true positives add up to the overall ones.
 */
import type { GoldEntity, GroundedTask, PredEntity } from './entities';
import { evaluate, type EvaluateInput, type EvaluateOptions } from './evaluate';
import type { Score } from './score';

export interface TypeScore extends Score {
  type: string;
}

export function scoresByType(task: GroundedTask, x: EvaluateInput, opts: EvaluateOptions = {}): TypeScore[] {
  const types = [...new Set([...x.gold.map((g) => g.type), ...x.pred.map((p) => p.type)])].sort();
  return types.map((type) => {
    const gold = x.gold.filter((g: GoldEntity) => g.type === type);
    const pred = x.pred.filter((p: PredEntity) => p.type === type);
    return { type, ...evaluate(task, { ...x, gold, pred }, opts).score };
  });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Grouped bars (precision, recall; F1 as a tick) per type on a 0–100 scale; plain SVG, no script. */
export function precisionRecallSvg(rows: readonly TypeScore[], title: string): string {
  const bar = 18;
  const group = bar * 2 + 22;
  const left = 48;
  const top = 40;
  const plotH = 220;
  const width = left + Math.max(1, rows.length) * group + 150;
  const height = top + plotH + 70;
  const y = (v: number) => top + plotH - (plotH * Math.max(0, Math.min(100, v))) / 100;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const v of [0, 25, 50, 75, 100]) {
    out.push(`<line x1="${left}" x2="${width - 150}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  rows.forEach((r, i) => {
    const x = left + 10 + i * group;
    out.push(
      `<rect class="precision" data-type="${esc(r.type)}" x="${x}" y="${y(r.precision)}" width="${bar}" height="${(y(0) - y(r.precision)).toFixed(2)}" fill="#1f77b4"><title>${esc(r.type)} precision ${r.precision.toFixed(2)}</title></rect>`,
      `<rect class="recall" data-type="${esc(r.type)}" x="${x + bar}" y="${y(r.recall)}" width="${bar}" height="${(y(0) - y(r.recall)).toFixed(2)}" fill="#ff7f0e"><title>${esc(r.type)} recall ${r.recall.toFixed(2)}</title></rect>`,
      `<line class="f1" x1="${x - 3}" x2="${x + 2 * bar + 3}" y1="${y(r.f1)}" y2="${y(r.f1)}" stroke="#000" stroke-width="2"><title>${esc(r.type)} F1 ${r.f1.toFixed(2)}</title></line>`,
      `<text x="${x + bar}" y="${top + plotH + 16}" text-anchor="middle">${esc(r.type)}</text>`,
      `<text x="${x + bar}" y="${top + plotH + 30}" text-anchor="middle" fill="#666">${r.n_gold} gold</text>`,
    );
  });
  const lx = width - 140;
  out.push(
    `<rect x="${lx}" y="${top}" width="12" height="12" fill="#1f77b4"/><text x="${lx + 18}" y="${top + 10}">precision</text>`,
    `<rect x="${lx}" y="${top + 20}" width="12" height="12" fill="#ff7f0e"/><text x="${lx + 18}" y="${top + 30}">recall</text>`,
    `<line x1="${lx}" x2="${lx + 12}" y1="${top + 46}" y2="${top + 46}" stroke="#000" stroke-width="2"/><text x="${lx + 18}" y="${top + 50}">F1</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
