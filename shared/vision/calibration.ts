/**
 * Entailment as a calibrated probability. A dual encoder gives a similarity, not an answer to "is
 * this entity in the image"; contrasting it with generic negatives ("a photo", "a screenshot", ...)
 * removes the per-image offset (some photos are similar to every text), and a logistic model over
 * those features, fitted on labelled data, turns it into a probability (Platt scaling).
 */

/** The features one entity gets, all in CLIP logit units (100 x cosine). */
export interface EntailFeatures {
  /** 100 x cos(image, expression). */
  similarity: number;
  /** similarity minus the best generic negative's similarity. */
  margin: number;
}

export const FEATURE_NAMES = ['similarity', 'margin'] as const satisfies readonly (keyof EntailFeatures)[];

export interface LogisticCalibration {
  weights: { similarity: number; margin: number };
  bias: number;
  /** groundable iff probability >= threshold. */
  threshold: number;
  /**
   * Where the numbers come from, reported in the answer (`models.entail`): `default` until the calibration command
   * has been run on real data, `fitted` after, or the name a model set gives its own (models/runtime-from-env.ts).
   */
  source: 'default' | 'fitted' | (string & {});
  /** For a fitted calibration: what it was fitted on, and how well it did there. */
  fitted_on?: { dataset: string; entities: number; groundable: number; date: string; accuracy: number; f1: number; log_loss: number };
}

/**
 * Not fitted on data. sigmoid(margin) is what CLIP's own softmax gives between the entity and the
 * best generic negative, so the default says "groundable when the image is more like the entity's
 * expression than like any generic caption". Replace by running `scripts/calibrate-entailment.ts`.
 */
export const DEFAULT_ENTAIL_CALIBRATION: LogisticCalibration = {
  weights: { similarity: 0, margin: 1 },
  bias: 0,
  threshold: 0.5,
  source: 'default',
};

/** Logit scale of CLIP-family models (exp(logit_scale) = 100 in the trained checkpoints). */
export const CLIP_LOGIT_SCALE = 100;

/** Cosines of L2-normalized `[D]` embeddings (image vs entity, image vs each generic negative) -> features in CLIP logit units. */
export function entailFeatures(entityCos: number, negativeCos: readonly number[]): EntailFeatures {
  const similarity = CLIP_LOGIT_SCALE * entityCos;
  const bestNegative = negativeCos.length ? CLIP_LOGIT_SCALE * Math.max(...negativeCos) : 0;
  return { similarity, margin: similarity - bestNegative };
}

/** The calibration's linear score (log-odds of groundable). */
export function logit(f: EntailFeatures, c: LogisticCalibration): number {
  return c.bias + c.weights.similarity * f.similarity + c.weights.margin * f.margin;
}

export function groundableProbability(f: EntailFeatures, c: LogisticCalibration): number {
  return 1 / (1 + Math.exp(-logit(f, c)));
}

export function decide(f: EntailFeatures, c: LogisticCalibration): { groundable: boolean; score: number } {
  const score = groundableProbability(f, c);
  return { groundable: score >= c.threshold, score };
}
