/**
 * RiVEG's line formats (https://github.com/JinYuanLi0012/RiVEG, `statistic/statistic.py` and the files beside it):
 *  gold  `<id>.jpg###Name(TYPE)###<description>###<0|2>###&[x1, y1, x2, y2]&[…]…`
 *  pred  `Imageid:<id>.jpg#<uuid>###Name(TYPE)###<expression>###<0|2>` (OFAVE_to_OFAREC*.txt), optionally
 *        followed by `###&[x1, y1, x2, y2]` (statistic.py's assembled form)
 *  boxes `refcoco_val_predict.json` `[{uniq_id, box:[x0,y0,x1,y1]}]`, joined on uniq_id (statistic.py
 *        joins positionally, which only works when both files keep the same order).
 * Fields are read by position from the end like statistic.py does (groundability = field [-2] of the
 * assembled line), so a `###` inside a free-text field cannot shift them.
 */
import type { BoxLike } from '../eval/box';
import { normalizeImageId, type GoldEntity, type PredEntity } from '../eval/entities';

/** `Name(TYPE)` -> name and type, splitting at the last "(" (the type never contains one). */
export function splitNameType(s: string): { name: string; type: string } {
  const m = /^(.*)\(([^()]*)\)$/s.exec(s.trim());
  if (!m) throw new Error(`expected Name(TYPE), got ${JSON.stringify(s)}`);
  return { name: m[1], type: m[2] };
}

function parseBox(s: string, where: string): BoxLike {
  const m = /^\s*\[([^\]]*)\]\s*$/.exec(s);
  const v = m ? m[1].split(',').map((x) => Number(x.trim())) : [];
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) throw new Error(`${where}: bad box ${JSON.stringify(s)}`);
  return { x1: v[0], y1: v[1], x2: v[2], y2: v[3] };
}

function lines(text: string): Array<[string, number]> {
  return text
    .split(/\r?\n/)
    .map((l, i): [string, number] => [l.replace(/\r$/, ''), i + 1])
    .filter(([l]) => l.trim() !== '');
}

export function parseRivegGold(text: string): GoldEntity[] {
  return lines(text).map(([l, n]) => {
    const f = l.split('###');
    if (f.length < 5) throw new Error(`gold line ${n}: expected 5 ###-fields, got ${f.length}`);
    const { name, type } = splitNameType(f[1]);
    const g = Number(f[f.length - 2]);
    const groundable = g !== 0;
    const boxes = groundable
      ? f[f.length - 1].split('&').slice(1).map((b) => parseBox(b, `gold line ${n}`))
      : [];
    return { id: normalizeImageId(f[0]), name, type, groundable, boxes };
  });
}

export interface RivegPred extends PredEntity {
  /** `<id>.jpg#<uuid>`, the join key with refcoco_val_predict.json */
  uniq_id: string;
  expression: string;
}

export function parseRivegPred(text: string): RivegPred[] {
  return lines(text).map(([l, n]) => {
    let f = l.split('###');
    let box: BoxLike | null = null;
    if (f.length >= 5 && f[f.length - 1].startsWith('&')) {
      box = parseBox(f[f.length - 1].slice(1), `pred line ${n}`);
      f = f.slice(0, -1);
    }
    if (f.length < 4) throw new Error(`pred line ${n}: expected 4 ###-fields, got ${f.length}`);
    const uniq = f[0].trim().replace(/^Imageid:/, '');
    const { name, type } = splitNameType(f[1]);
    const groundable = Number(f[f.length - 1]) !== 0;
    return {
      uniq_id: uniq,
      id: normalizeImageId(uniq),
      name,
      type,
      expression: f.slice(2, -1).join('###'),
      groundable,
      // statistic.py writes [0, 0, 0, 0] for the None ones; it carries no information
      box: groundable ? box : null,
    };
  });
}

/** Attach VG boxes from OFA's refcoco_val_predict.json by uniq_id; groundable predictions without one keep box null. */
export function attachRefcocoBoxes(preds: readonly RivegPred[], json: unknown): RivegPred[] {
  if (!Array.isArray(json)) throw new Error('refcoco predictions: expected a JSON array');
  const byId = new Map<string, BoxLike>();
  for (const r of json as Array<{ uniq_id?: unknown; box?: unknown }>) {
    if (typeof r?.uniq_id !== 'string' || !Array.isArray(r.box) || r.box.length !== 4) {
      throw new Error(`refcoco predictions: bad entry ${JSON.stringify(r).slice(0, 120)}`);
    }
    const [x1, y1, x2, y2] = r.box.map(Number);
    byId.set(r.uniq_id, { x1, y1, x2, y2 });
  }
  return preds.map((p) => (p.groundable ? { ...p, box: byId.get(p.uniq_id) ?? p.box ?? null } : p));
}
