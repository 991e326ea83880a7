/**
 * MNER the way seqeval counts it: sets of exact (sentence, start, end, type) spans, micro-averaged.
 * Offsets may be token indices (what seqeval uses on CoNLL) or character offsets — any basis works
 * as long as gold and predictions use the same one for a given id; end is exclusive. Duplicate spans
 * collapse (seqeval works on sets); ids only in the predictions count as false positives.
 */
import { prf, type Score } from './score';
import { bioSpans } from './seqeval';

export interface SpanDoc {
  id: string;
  spans: Array<{ start: number; end: number; type: string }>;
}

function spanSet(docs: readonly SpanDoc[]): Set<string> {
  const s = new Set<string>();
  for (const d of docs) for (const sp of d.spans) s.add(JSON.stringify([d.id, sp.start, sp.end, sp.type]));
  return s;
}

export function scoreMner(gold: readonly SpanDoc[], pred: readonly SpanDoc[]): Score {
  const g = spanSet(gold);
  const p = spanSet(pred);
  let tp = 0;
  for (const k of p) if (g.has(k)) tp++;
  return prf(tp, p.size, g.size);
}

/** seqeval on tag sequences: one doc per sentence, token-index spans. */
export function scoreBio(
  gold: ReadonlyArray<{ id: string; tags: readonly string[] }>,
  pred: ReadonlyArray<{ id: string; tags: readonly string[] }>,
): Score {
  const toDocs = (xs: typeof gold) => xs.map((x) => ({ id: x.id, spans: bioSpans(x.tags) }));
  return scoreMner(toDocs(gold), toDocs(pred));
}
