/**
 * Counterfactual predictions for bounds (test/node/eval-replay.test.ts applies them to a recorded RiVEG run): keep the recognised entities and the
 * groundability decisions, replace only the regions. They isolate one stage's contribution.
 */
import { entityKey, type GoldEntity, type GroundedTask, type PredEntity } from './entities';

/** Every region None: what recognition alone scores under GMNER. */
export function withRegionsNone<T extends PredEntity>(preds: readonly T[]): T[] {
  return preds.map((p) => ({ ...p, groundable: false, box: null, mask: null }));
}

/**
 * A perfect visual grounding: every prediction kept groundable gets the first box (and mask) of a gold
 * entry with the same key that is groundable. Predictions whose key has no groundable gold stay
 * groundable with no region, so they still count wrong, as any box would.
 */
export function withOracleRegions<T extends PredEntity>(preds: readonly T[], gold: readonly GoldEntity[], task: GroundedTask = 'gmner'): T[] {
  const firstGroundable = new Map<string, GoldEntity>();
  for (const g of gold) {
    const k = entityKey(g, task);
    if (g.groundable && !firstGroundable.has(k)) firstGroundable.set(k, g);
  }
  return preds.map((p) => {
    if (!p.groundable) return p;
    const g = firstGroundable.get(entityKey(p, task));
    return { ...p, box: g?.boxes[0] ?? null, mask: g?.masks?.[0] ?? null };
  });
}
