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
  const out: Span[] = [];
  for (const s of spans) {
    const t = trimSpan(text, s);
    if (t && !out.some((o) => o.start < t.end && t.start < o.end)) out.push(t);
  }
  return out;
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
  const placed: Aligned<T>[] = [];
  const unplaced: Unplaced<T>[] = [];
  for (const { it } of order) {
    const mentions = findMentions(text, it.text, c);
    if (mentions.length === 0) {
      unplaced.push({ ...it, reason: 'not found in the text' });
      continue;
    }
    let kept = 0;
    let blocker: Aligned<T> | undefined;
    for (const m of mentions) {
      const hit = placed.find((p) => p.start < m.end && m.start < p.end);
      if (hit) {
        blocker ??= hit;
        continue;
      }
      placed.push({ ...m, text: text.slice(m.start, m.end), type: it.type, payload: it.payload });
      kept++;
    }
    if (kept === 0 && blocker) {
      const sameSpanSameType = mentions.every((m) => placed.some((p) => p.start === m.start && p.end === m.end && p.type === it.type));
      // A repeated listing of the same entity adds nothing and loses nothing: not a drop.
      if (!sameSpanSameType) unplaced.push({ ...it, reason: `overlaps '${blocker.text}' (${blocker.type})` });
    }
  }
  placed.sort((a, b) => a.start - b.start);
  return { placed, unplaced };
}
