/**
 * Picks the scorer for a task. MNER is seqeval on exact spans when both sides carry comparable spans
 * (same tweet text); otherwise — e.g. RiVEG's prediction file, which has only `Name(TYPE)` — it falls
 * back to RiVEG's surface-string one-to-one matching, which is how the MNER anchor of the recorded RiVEG run
 * (86.27 / 86.03 / 86.15, test/node/eval-replay.test.ts) is computed.
 * The grounded tasks default to RiVEG's surface key; `keyBy: 'span'` gives the span-offset variant.
 */
import type { GoldEntity, GroundedTask, KeyBy, PredEntity } from './entities';
import { scoreEntities, type ScoreOptions } from './grounded';
import { scoreMner, type SpanDoc } from './mner';
import type { Score } from './score';

export interface EvaluateInput {
  gold: readonly GoldEntity[];
  pred: readonly PredEntity[];
  /** tweet text per image id, where the format has one; spans only compare when these agree */
  goldTexts?: ReadonlyMap<string, string>;
  predTexts?: ReadonlyMap<string, string>;
}

export interface EvaluateOptions extends Omit<ScoreOptions, 'keyBy'> {
  keyBy?: KeyBy | 'auto';
}

export interface Evaluation {
  score: Score;
  keyBy: KeyBy;
}

function spansComparable(x: EvaluateInput): boolean {
  const has = (e: { start?: number; end?: number }) => e.start !== undefined && e.end !== undefined;
  if (!x.gold.every(has) || !x.pred.every(has)) return false;
  // answers that do not echo their text are taken to be offsets into the gold text (space-joined tokens)
  if (x.goldTexts && x.predTexts) {
    for (const [id, t] of x.predTexts) if (x.goldTexts.has(id) && x.goldTexts.get(id) !== t) return false;
  }
  return true;
}

function docs(es: ReadonlyArray<GoldEntity | PredEntity>): SpanDoc[] {
  const m = new Map<string, SpanDoc>();
  for (const e of es) {
    let d = m.get(e.id);
    if (!d) m.set(e.id, (d = { id: e.id, spans: [] }));
    d.spans.push({ start: e.start!, end: e.end!, type: e.type });
  }
  return [...m.values()];
}

export function evaluate(task: GroundedTask, x: EvaluateInput, opts: EvaluateOptions = {}): Evaluation {
  const want = opts.keyBy ?? 'auto';
  const keyBy: KeyBy = want === 'auto' ? (task === 'mner' && spansComparable(x) ? 'span' : 'surface') : want;
  if (task === 'mner' && keyBy === 'span' && (opts.matching ?? 'greedy') === 'greedy') {
    return { score: scoreMner(docs(x.gold), docs(x.pred)), keyBy };
  }
  return { score: scoreEntities(task, x.gold, x.pred, { ...opts, keyBy }), keyBy };
}
