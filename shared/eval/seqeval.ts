/**
 * Span extraction from BIO/IOBES tags with seqeval's default (non-strict) rules, ported from
 * seqeval `get_entities` / `end_of_chunk` / `start_of_chunk`. The lenient rules matter: an I- without
 * a B- starts an entity, and a type change inside a run splits it — this is what AdaSeq's metric
 * (and so RiVEG's MNER numbers) counts.
 */
export interface TagSpan {
  type: string;
  /** token index, inclusive */
  start: number;
  /** token index, exclusive (seqeval reports inclusive ends; we convert once here) */
  end: number;
}

function split(tag: string): [string, string] {
  // seqeval: tag = chunk[0]; type = chunk[1:].split('-', 1)[-1] or '_'
  const prefix = tag.charAt(0);
  const rest = tag.slice(1);
  const dash = rest.indexOf('-');
  const type = (dash < 0 ? rest : rest.slice(dash + 1)) || '_';
  return [prefix, type];
}

function endOfChunk(pt: string, t: string, pType: string, type: string): boolean {
  if (pt === 'E' || pt === 'S') return true;
  if ((pt === 'B' || pt === 'I') && (t === 'B' || t === 'S' || t === 'O')) return true;
  return pt !== 'O' && pt !== '.' && pType !== type;
}

function startOfChunk(pt: string, t: string, pType: string, type: string): boolean {
  if (t === 'B' || t === 'S') return true;
  if ((pt === 'E' || pt === 'S' || pt === 'O') && (t === 'E' || t === 'I')) return true;
  return t !== 'O' && t !== '.' && pType !== type;
}

/** Entities of one sentence. Tags outside O/B/I/E/S (e.g. AdaSeq's X) are read like seqeval would. */
export function bioSpans(tags: readonly string[]): TagSpan[] {
  const spans: TagSpan[] = [];
  let pt = 'O';
  let pType = '';
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const [t, type] = i < tags.length ? split(tags[i]) : ['O', '_'];
    if (endOfChunk(pt, t, pType, type)) spans.push({ type: pType, start: begin, end: i });
    if (startOfChunk(pt, t, pType, type)) begin = i;
    pt = t;
    pType = type;
  }
  return spans;
}
