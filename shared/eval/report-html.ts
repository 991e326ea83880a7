/**
 * A self-contained HTML report of an evaluation (`npm run eval -- --html FILE`): the scores, the
 * per-type chart, and per post its text and image with the gold boxes (dashed green) and the predicted
 * boxes (solid, coloured by type; red when the prediction says "visible" with a box no gold box of its
 * name overlaps by IoU >= the threshold) drawn over it as SVG. Images are linked, not embedded.
 */
import { boxIou, type BoxLike } from './box';
import type { GoldEntity, PredEntity } from './entities';
import type { ScoreRow } from './report';
import { precisionRecallSvg, type TypeScore } from './report-plot';

export interface ReportImage {
  /** URL or path relative to the report file. */
  src: string;
  width: number;
  height: number;
}

export interface HtmlReportInput {
  title: string;
  scores: readonly ScoreRow[];
  byType: readonly TypeScore[];
  gold: readonly GoldEntity[];
  pred: readonly PredEntity[];
  texts?: ReadonlyMap<string, string>;
  images?: ReadonlyMap<string, ReportImage>;
  iouThreshold?: number;
  /** Posts shown at most (the scores always cover all). */
  maxPosts?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const TYPE_COLOURS: Record<string, string> = { PER: '#d62728', LOC: '#1f77b4', ORG: '#9467bd', OTHER: '#ff7f0e' };
const colour = (type: string) => TYPE_COLOURS[type] ?? '#17becf';

function rect(b: BoxLike, cls: string, stroke: string, label: string): string {
  const dash = cls === 'gold' ? ' stroke-dasharray="6 4"' : '';
  return `<rect class="${cls}" x="${b.x1}" y="${b.y1}" width="${b.x2 - b.x1}" height="${b.y2 - b.y1}" fill="none" stroke="${stroke}" stroke-width="3"${dash} vector-effect="non-scaling-stroke"><title>${esc(label)}</title></rect>`;
}

function post(id: string, gold: GoldEntity[], pred: PredEntity[], x: HtmlReportInput): string {
  const iou = x.iouThreshold ?? 0.5;
  const img = x.images?.get(id);
  const shapes: string[] = [];
  for (const g of gold) for (const b of g.boxes) shapes.push(rect(b, 'gold', '#2ca02c', `gold ${g.name} (${g.type})`));
  for (const p of pred) {
    if (!p.groundable || !p.box) continue;
    const hit = gold.some((g) => g.name === p.name && g.boxes.some((b) => boxIou(b, p.box!) >= iou));
    shapes.push(rect(p.box, hit ? 'pred' : 'pred miss', hit ? colour(p.type) : '#e00000', `predicted ${p.name} (${p.type})${hit ? '' : ': no gold box overlaps'}`));
  }
  const picture = img
    ? `<div class="pic"><img src="${esc(img.src)}" alt="${esc(id)}"><svg viewBox="0 0 ${img.width} ${img.height}" preserveAspectRatio="none">${shapes.join('')}</svg></div>`
    : `<p class="noimg">${shapes.length} boxes (no image: pass --images DIR)</p>`;
  const list = (es: (GoldEntity | PredEntity)[], side: string) => es.map((e) => {
    const where = side === 'gold' ? ((e as GoldEntity).groundable ? `${(e as GoldEntity).boxes.length} box(es)` : 'None') : (e as PredEntity).groundable ? ((e as PredEntity).box ? 'box' : 'visible, no box') : 'None';
    return `<li><span class="t" style="background:${colour(e.type)}">${esc(e.type)}${e.fine_type ? ` / ${esc(e.fine_type)}` : ''}</span> ${esc(e.name)} <small>${where}</small></li>`;
  }).join('');
  return `<section class="post" id="post-${esc(id)}"><h3>${esc(id)}</h3><p>${esc(x.texts?.get(id) ?? '')}</p>${picture}`
    + `<div class="lists"><div><h4>gold</h4><ul>${list(gold, 'gold')}</ul></div><div><h4>predicted</h4><ul>${list(pred, 'pred')}</ul></div></div></section>`;
}

export function htmlReport(x: HtmlReportInput): string {
  const ids = [...new Set([...x.gold.map((g) => g.id), ...x.pred.map((p) => p.id)])].sort();
  const shown = ids.slice(0, x.maxPosts ?? 500);
  const byId = <E extends { id: string }>(es: readonly E[]) => {
    const m = new Map<string, E[]>();
    for (const e of es) m.set(e.id, [...(m.get(e.id) ?? []), e]);
    return m;
  };
  const gold = byId(x.gold);
  const pred = byId(x.pred);
  const scoreRows = x.scores.map((r) => `<tr><td>${esc(r.task)}</td><td>${r.precision.toFixed(2)}</td><td>${r.recall.toFixed(2)}</td><td>${r.f1.toFixed(2)}</td><td>${r.tp}</td><td>${r.n_pred}</td><td>${r.n_gold}</td><td>${esc(r.note ?? '')}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(x.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1d1f}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}
.post{border-top:1px solid #ccc;padding:.5rem 0;display:grid;grid-template-columns:minmax(200px,420px) 1fr;gap:0 1rem}
.post h3,.post>p{grid-column:1/-1;margin:.2rem 0}
.pic{position:relative;display:inline-block}.pic img{display:block;max-width:420px;width:100%}
.pic svg{position:absolute;inset:0;width:100%;height:100%}
.lists{display:flex;gap:1.5rem}.lists ul{padding-left:1rem;margin:.2rem 0}.t{color:#fff;padding:0 .3rem;border-radius:3px}
.legend span{margin-right:1rem}
</style></head><body>
<h1>${esc(x.title)}</h1>
<table><tr><th>task</th><th>P</th><th>R</th><th>F1</th><th>tp</th><th>pred</th><th>gold</th><th></th></tr>${scoreRows}</table>
${precisionRecallSvg(x.byType, 'Precision and recall per entity type')}
<p class="legend"><span style="color:#2ca02c">- - gold box</span><span>— predicted box (type colour)</span><span style="color:#e00000">— predicted box no gold box of its name overlaps</span></p>
<p>${shown.length} of ${ids.length} posts.</p>
${shown.map((id) => post(id, gold.get(id) ?? [], pred.get(id) ?? [], x)).join('\n')}
</body></html>
`;
}
