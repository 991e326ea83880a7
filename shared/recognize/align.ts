/**
 * Places entity strings from a model's answer back into the post as UTF-16 offsets. Exact matches
 * first; only when a string has none, a tolerant pass that ignores case, whitespace (tokenization
 * spaces: "Kevin Durant 's" vs "Kevin Durant's") and a leading # or @. Matches must start and end
 * on word boundaries, so "LA" is never found inside "LAKERS". A leading # or @ is never part of a
 * span: Twitter-GMNER annotates the name after the sigil, and the vision stages query with the name.
 */

export interface Span {
  start: number;
  end: number;
}

// Scripts written with spaces between words; CJK text has no word boundaries to check.
const WORD_CHAR = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}_]/u;
const isWordChar = (c: string | undefined) => c !== undefined && WORD_CHAR.test(c);
const SIGIL = /^[#@＃＠]+/;

function onBoundaries(text: string, start: number, end: number): boolean {
  if (isWordChar(text[start]) && isWordChar(text[start - 1])) return false;
  if (isWordChar(text[end - 1]) && isWordChar(text[end])) return false;
  return true;
}

/** Trims the span to the name: no surrounding spaces, no leading sigil. */
function trimSpan(text: string, s: Span): Span | null {
  let { start, end } = s;
  for (;;) {
    if (start < end && /\s/.test(text[start])) start++;
    else if (start < end - 1 && SIGIL.test(text[start])) start++;
    else break;
  }
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end > start ? { start, end } : null;
}

/** Case folding that keeps one UTF-16 unit per unit, so offsets survive. */
function fold(c: string): string {
  if (c === '’' || c === '‘' || c === 'ʼ') return "'";
  if (c === '“' || c === '”') return '"';
  const l = c.toLowerCase();
  return l.length === 1 ? l : c;
}

function exactMatches(text: string, surface: string): Span[] {
  const out: Span[] = [];
  for (let i = text.indexOf(surface); i !== -1; i = text.indexOf(surface, i + 1)) {
    if (onBoundaries(text, i, i + surface.length)) out.push({ start: i, end: i + surface.length });
  }
  return out;
}

/** The text without whitespace, folded, with each kept unit's original index. */
interface Compact {
  chars: string;
  index: number[];
}

function compact(s: string): Compact {
  let chars = '';
  const index: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (/\s/.test(s[i])) continue;
    chars += fold(s[i]);
    index.push(i);
  }
  return { chars, index };
}

function tolerantMatches(text: string, c: Compact, surface: string): Span[] {
  const needle = compact(surface.trim().replace(SIGIL, '')).chars;
  if (!needle) return [];
  const out: Span[] = [];
  for (let p = c.chars.indexOf(needle); p !== -1; p = c.chars.indexOf(needle, p + 1)) {
    const start = c.index[p];
    const end = c.index[p + needle.length - 1] + 1;
    if (onBoundaries(text, start, end)) out.push({ start, end });
  }
  return out;
}

/** Every place the surface occurs, by the first strategy that finds any, non-overlapping. */
export function findMentions(text: string, surface: string, compactText: Compact = compact(text)): Span[] {
  if (!surface.trim()) return [];
  let spans = exactMatches(text, surface);
  if (spans.length === 0) spans = tolerantMatches(text, compactText, surface);
  // spans come in order of start (and end), so a span overlaps a kept one exactly when it starts before the
  // furthest kept end: one comparison, not a scan of everything kept (a name repeated 5,000 times)
  const out: Span[] = [];
  let keptEnd = -1;
  for (const s of spans) {
    const t = trimSpan(text, s);
    if (t && t.start >= keptEnd) {
      out.push(t);
      keptEnd = t.end;
    }
  }
  return out;
}

/** Index of the first span in `sorted` (by start) that starts at or after `pos`. */
function firstFrom(sorted: Span[], pos: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface AlignInput<T> {
  text: string;
  type: string;
  payload: T;
}

export interface Aligned<T> extends Span {
  text: string;
  type: string;
  payload: T;
}

export interface Unplaced<T> {
  text: string;
  type: string;
  payload: T;
  reason: string;
}

/**
 * Places all candidates at once. Longer strings claim their spans first (a model that lists both
 * "Golden State Warriors" and "Warriors" means the long one where it occurs), every other
 * occurrence of a shorter string is still returned; spans never overlap.
 */
export function alignAll<T>(text: string, items: AlignInput<T>[]): { placed: Aligned<T>[]; unplaced: Unplaced<T>[] } {
  const c = compact(text);
  const order = items.map((it, i) => ({ it, i })).sort((a, b) => b.it.text.trim().length - a.it.text.trim().length || a.i - b.i);
  // kept sorted by start and never overlapping, so each mention is checked against its two neighbours only
  const placed: Aligned<T>[] = [];
  const spanTypes = new Set<string>();
  const unplaced: Unplaced<T>[] = [];
  // a model may list one name many times (up to the recognizer's candidate cap): search the text once per name
  const found = new Map<string, Span[]>();
  const done = new Set<string>();
  for (const { it } of order) {
    // the same name with the same type again places nothing new and drops nothing
    const key = `${it.text}\u0000${it.type}`;
    if (done.has(key)) continue;
    done.add(key);
    let mentions = found.get(it.text);
    if (!mentions) found.set(it.text, (mentions = findMentions(text, it.text, c)));
    if (mentions.length === 0) {
      unplaced.push({ ...it, reason: 'not found in the text' });
      continue;
    }
    let kept = 0;
    let blocker: Aligned<T> | undefined;
    for (const m of mentions) {
      const at = firstFrom(placed, m.start);
      const hit = [placed[at - 1], placed[at]].find((p) => p !== undefined && p.start < m.end && m.start < p.end);
      if (hit) {
        blocker ??= hit;
        continue;
      }
      placed.splice(at, 0, { ...m, text: text.slice(m.start, m.end), type: it.type, payload: it.payload });
      spanTypes.add(`${m.start},${m.end},${it.type}`);
      kept++;
    }
    if (kept === 0 && blocker) {
      const sameSpanSameType = mentions.every((m) => spanTypes.has(`${m.start},${m.end},${it.type}`));
      // A repeated listing of the same entity adds nothing and loses nothing: not a drop.
      if (!sameSpanSameType) unplaced.push({ ...it, reason: `overlaps '${blocker.text}' (${blocker.type})` });
    }
  }
  return { placed, unplaced };
}
