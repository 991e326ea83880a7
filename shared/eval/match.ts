/**
 * One-to-one matching of predictions to gold entries that share a key.
 * `greedy` is RiVEG statistic.py: predictions in file order, each scans the not-yet-used gold lines in
 * file order and takes the first it is correct for (`label.remove(gl); break`). `bipartite` is a
 * maximum matching over the same "correct" relation (E2E-GMNER); it can only find more pairs.
 */
export type Matching = 'greedy' | 'bipartite';

export interface MatchResult {
  /** [predIndex, goldIndex] pairs */
  pairs: Array<[number, number]>;
}

function buckets(keys: readonly string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const b = m.get(k);
    if (b) b.push(i);
    else m.set(k, [i]);
  });
  return m;
}

export function matchGreedy(
  predKeys: readonly string[],
  goldKeys: readonly string[],
  ok: (p: number, g: number) => boolean,
): MatchResult {
  const free = buckets(goldKeys);
  const pairs: Array<[number, number]> = [];
  predKeys.forEach((k, p) => {
    const cands = free.get(k);
    if (!cands) return;
    const at = cands.findIndex((g) => ok(p, g));
    if (at < 0) return;
    pairs.push([p, cands[at]]);
    cands.splice(at, 1);
  });
  return { pairs };
}

export function matchBipartite(
  predKeys: readonly string[],
  goldKeys: readonly string[],
  ok: (p: number, g: number) => boolean,
): MatchResult {
  const golds = buckets(goldKeys);
  const preds = buckets(predKeys);
  const pairs: Array<[number, number]> = [];
  for (const [key, ps] of preds) {
    const gs = golds.get(key);
    if (!gs) continue;
    const adj = ps.map((p) => gs.filter((g) => ok(p, g)));
    const owner = new Map<number, number>(); // gold -> index into ps
    // Kuhn's augmenting paths; buckets are tiny (same tweet, same string), so O(VE) is plenty
    const augment = (i: number, seen: Set<number>): boolean => {
      for (const g of adj[i]) {
        if (seen.has(g)) continue;
        seen.add(g);
        const o = owner.get(g);
        if (o === undefined || augment(o, seen)) {
          owner.set(g, i);
          return true;
        }
      }
      return false;
    };
    ps.forEach((_, i) => augment(i, new Set()));
    for (const [g, i] of owner) pairs.push([ps[i], g]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return { pairs };
}

export function match(
  how: Matching,
  predKeys: readonly string[],
  goldKeys: readonly string[],
  ok: (p: number, g: number) => boolean,
): MatchResult {
  return how === 'greedy' ? matchGreedy(predKeys, goldKeys, ok) : matchBipartite(predKeys, goldKeys, ok);
}
