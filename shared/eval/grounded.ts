/**
 * GMNER / EEG / MNER / FMNERG / SMNER over entity records, RiVEG `statistic/statistic.py` semantics (https://github.com/JinYuanLi0012/RiVEG):
 * a prediction is correct when its key equals a not-yet-used gold entry's key and the regions agree —
 * both "None", or IoU(predicted region, any gold region of that entry) >= threshold. Precision is over
 * all predictions (grounded or not), recall over all gold entries.
 *
 * SMNER: the same rule with mask IoU. The exact SMNER rule is in no public repository or abstract (the
 * paper is arXiv 2406.07268); this is the natural analogue of the box rule and must be confirmed there
 * before comparing with published numbers.
 */
import { boxIou } from './box';
import { entityKey, type GoldEntity, type GroundedTask, type KeyBy, type PredEntity } from './entities';
import { match, type Matching } from './match';
import { rleIou } from '../vision/rle';
import { prf, type Score } from './score';

export interface ScoreOptions {
  matching?: Matching;
  keyBy?: KeyBy;
  /** RiVEG uses >= 0.5 */
  iouThreshold?: number;
}

export interface DetailedScore extends Score {
  /** [predIndex, goldIndex] of the correct predictions, for error analysis. */
  pairs: Array<[number, number]>;
}

export function regionCorrect(task: GroundedTask, p: PredEntity, g: GoldEntity, thr = 0.5): boolean {
  if (task === 'mner') return true;
  if (!p.groundable) return !g.groundable;
  if (!g.groundable) return false;
  if (task === 'smner') {
    const m = p.mask;
    return !!m && (g.masks ?? []).some((gm) => rleIou(m, gm) >= thr);
  }
  const b = p.box;
  return !!b && g.boxes.some((gb) => boxIou(gb, b) >= thr);
}

export function scoreEntities(
  task: GroundedTask,
  gold: readonly GoldEntity[],
  pred: readonly PredEntity[],
  opts: ScoreOptions = {},
): DetailedScore {
  const keyBy = opts.keyBy ?? 'surface';
  const thr = opts.iouThreshold ?? 0.5;
  const gk = gold.map((g) => entityKey(g, task, keyBy));
  const pk = pred.map((p) => entityKey(p, task, keyBy));
  const { pairs } = match(opts.matching ?? 'greedy', pk, gk, (p, g) => regionCorrect(task, pred[p], gold[g], thr));
  return { ...prf(pairs.length, pred.length, gold.length), pairs };
}
