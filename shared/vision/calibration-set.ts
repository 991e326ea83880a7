/**
 * The labelled set the entailment calibration is fitted on: (image, expansion expression,
 * groundable) per entity, from RiVEG's `statistic/` files (https://github.com/JinYuanLi0012/RiVEG). Labels are the gold groundability
 * (an entity is groundable iff Twitter-GMNER has a box for it). Expressions are either the gold
 * file's own descriptions, or the expansions of a recorded run (OFAVE_to_OFAREC*.txt) joined to the
 * gold by image and `Name(TYPE)`; a predicted entity with no gold line has no label and is left out.
 */
import { parseRivegGold, parseRivegPred } from '../data/riveg';

export interface CalibrationItem {
  imageId: string;
  expression: string;
  groundable: boolean;
}

const key = (id: string, name: string, type: string) => `${id}\u0000${name}(${type})`;

export function calibrationItems(goldText: string, predText?: string): CalibrationItem[] {
  const gold = parseRivegGold(goldText);
  if (!predText) {
    // parseRivegGold keeps no description; field 3 of the same (non-empty) lines is it.
    const descriptions = goldText.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.split('###')[2]?.trim() ?? '');
    return gold.map((g, i) => {
      const d = descriptions[i];
      return { imageId: g.id, expression: d ? `${g.name}(${g.type})-${d}` : `${g.name}(${g.type})`, groundable: g.groundable };
    });
  }
  const labels = new Map<string, boolean>();
  for (const g of gold) labels.set(key(g.id, g.name, g.type), g.groundable);
  return parseRivegPred(predText).flatMap((p) => {
    const label = labels.get(key(p.id, p.name, p.type));
    return label === undefined ? [] : [{ imageId: p.id, expression: p.expression, groundable: label }];
  });
}

/** Items grouped by image, so each image is embedded once with all its expressions. */
export function byImage(items: readonly CalibrationItem[]): Map<string, CalibrationItem[]> {
  const m = new Map<string, CalibrationItem[]>();
  for (const it of items) {
    const list = m.get(it.imageId);
    if (list) list.push(it);
    else m.set(it.imageId, [it]);
  }
  return m;
}
