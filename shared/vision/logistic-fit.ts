/**
 * Fitting the entailment calibration: L2-regularised logistic regression by Newton's method (the
 * problem is tiny: a bias and two features), then the decision threshold that maximises F1 of the
 * "groundable" class on the same data, since a wrong "groundable" costs a false box and a wrong
 * "ungroundable" costs recall, the trade-off GMNER's F1 scores.
 */
import { FEATURE_NAMES, type EntailFeatures, type LogisticCalibration } from './calibration';

export interface LabelledFeatures {
  features: EntailFeatures;
  groundable: boolean;
}

export interface FitOptions {
  /** L2 penalty on the weights (not the bias). */
  l2?: number;
  maxIterations?: number;
}

/** Solves the symmetric positive-definite system A x = b by Gaussian elimination with pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    if (Math.abs(M[c][c]) < 1e-12) throw new Error('calibration features are degenerate (singular Hessian)');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** Returns [bias, w_similarity, w_margin]. */
export function fitLogistic(data: readonly LabelledFeatures[], opts: FitOptions = {}): number[] {
  const { l2 = 1e-3, maxIterations = 100 } = opts;
  if (data.length === 0) throw new Error('no labelled entities to fit on');
  const pos = data.filter((d) => d.groundable).length;
  if (pos === 0 || pos === data.length) throw new Error('the labelled set needs both groundable and ungroundable entities');
  const X = data.map((d) => [1, ...FEATURE_NAMES.map((k) => d.features[k])]);
  const y = data.map((d) => (d.groundable ? 1 : 0));
  const dim = X[0].length;
  let w = new Array(dim).fill(0);
  for (let it = 0; it < maxIterations; it++) {
    const grad = new Array(dim).fill(0);
    const H = Array.from({ length: dim }, () => new Array(dim).fill(0));
    for (let i = 0; i < X.length; i++) {
      const p = sig(X[i].reduce((s, x, k) => s + x * w[k], 0));
      const r = p - y[i];
      const v = p * (1 - p);
      for (let a = 0; a < dim; a++) {
        grad[a] += r * X[i][a];
        for (let b = 0; b < dim; b++) H[a][b] += v * X[i][a] * X[i][b];
      }
    }
    for (let a = 1; a < dim; a++) {
      grad[a] += l2 * w[a];
      H[a][a] += l2;
    }
    const step = solve(H, grad);
    w = w.map((x, k) => x - step[k]);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return w;
}

export interface Scored {
  p: number;
  groundable: boolean;
}

export function metricsAt(scored: readonly Scored[], threshold: number) {
  let tp = 0, fp = 0, fn = 0, correct = 0, loss = 0;
  for (const s of scored) {
    const pred = s.p >= threshold;
    if (pred && s.groundable) tp++;
    else if (pred) fp++;
    else if (s.groundable) fn++;
    if (pred === s.groundable) correct++;
    const q = Math.min(Math.max(s.p, 1e-12), 1 - 1e-12);
    loss -= s.groundable ? Math.log(q) : Math.log(1 - q);
  }
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { accuracy: correct / scored.length, f1, log_loss: loss / scored.length };
}

/** The threshold among the observed probabilities that gives the best F1 (ties: the higher one). */
export function bestF1Threshold(scored: readonly Scored[]): number {
  const candidates = [...new Set(scored.map((s) => s.p))].sort((a, b) => a - b);
  let best = 0.5;
  let bestF1 = -1;
  for (const t of candidates) {
    const { f1 } = metricsAt(scored, t);
    if (f1 >= bestF1) {
      bestF1 = f1;
      best = t;
    }
  }
  return best;
}

export function fitCalibration(
  data: readonly LabelledFeatures[], dataset: string, date: string, opts: FitOptions & { threshold?: 'f1' | number } = {},
): LogisticCalibration {
  const [bias, wSim, wMargin] = fitLogistic(data, opts);
  const cal: LogisticCalibration = { weights: { similarity: wSim, margin: wMargin }, bias, threshold: 0.5, source: 'fitted' };
  const scored = data.map((d) => ({ p: sig(bias + wSim * d.features.similarity + wMargin * d.features.margin), groundable: d.groundable }));
  cal.threshold = typeof opts.threshold === 'number' ? opts.threshold : opts.threshold === 'f1' ? bestF1Threshold(scored) : 0.5;
  const m = metricsAt(scored, cal.threshold);
  cal.fitted_on = { dataset, entities: data.length, groundable: data.filter((d) => d.groundable).length, date, ...m };
  return cal;
}
