/** Micro P/R/F1, in percent (0-100) everywhere in this module and in `npm run eval -- --json`. */
export interface Score {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  n_pred: number;
  n_gold: number;
}

/** 0 when a denominator is 0 (seqeval's convention), never NaN. */
export function prf(tp: number, nPred: number, nGold: number): Score {
  const p = nPred > 0 ? tp / nPred : 0;
  const r = nGold > 0 ? tp / nGold : 0;
  const f = p + r > 0 ? (2 * p * r) / (p + r) : 0;
  return { precision: 100 * p, recall: 100 * r, f1: 100 * f, tp, n_pred: nPred, n_gold: nGold };
}
