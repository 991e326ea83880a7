/**
 * Gets a JSON value out of what a chat model actually wrote: code fences, prose before and after,
 * trailing commas, smart quotes around keys. Only repairs that cannot change the meaning of valid
 * JSON are applied; anything else is reported as unusable so the caller can ask once more.
 */

export type ExtractResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * How much searching an answer may cost. Every opener tried scans to its match or to the end, so an answer of
 * n braces costs n² without a bound (32,000 braces took 29 s of CPU); with one, at most `attempts` openers are
 * tried and at most `chars` characters are scanned or parsed in all, whatever the model wrote.
 */
export interface SearchBudget {
  attempts: number;
  chars: number;
}

export const SEARCH_LIMITS: Readonly<SearchBudget> = { attempts: 32, chars: 2_000_000 };

/** The first balanced {...} or [...] starting at `from`, string- and escape-aware; null when unbalanced or out of budget. */
function balancedFrom(s: string, from: number, budget: SearchBudget): string | null {
  const open = s[from];
  const close = open === '{' ? '}' : ']';
  const stack: string[] = [close];
  let inString = false;
  const end = Math.min(s.length, from + 1 + budget.chars);
  budget.chars -= end - from;
  for (let i = from + 1; i < end; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) {
        budget.chars += end - i - 1; // the rest was not scanned
        return null;
      }
      if (stack.length === 0) {
        budget.chars += end - i - 1;
        return s.slice(from, i + 1);
      }
    }
  }
  return null;
}

/** Drops commas directly before } or ] outside strings (a common model slip, invalid JSON). */
export function removeTrailingCommas(s: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      out += c;
      if (c === '\\') out += s[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ',') {
      let j = i + 1;
      while (j < s.length && /\s/.test(s[j])) j++;
      if (s[j] === '}' || s[j] === ']') continue;
    }
    out += c;
  }
  return out;
}

function tryParse(candidate: string, budget?: SearchBudget): { ok: true; value: unknown } | null {
  for (const variant of [candidate, removeTrailingCommas(candidate), removeTrailingCommas(candidate.replace(/[“”]/g, '"'))]) {
    if (budget) budget.chars -= variant.length;
    try {
      return { ok: true, value: JSON.parse(variant) };
    } catch {
      // next variant
    }
  }
  return null;
}

export function extractJson(raw: string, limits: Readonly<SearchBudget> = SEARCH_LIMITS): ExtractResult {
  const text = raw.replace(/^\uFEFF/, '').trim();
  if (!text) return { ok: false, reason: 'the answer was empty' };
  const direct = tryParse(text);
  if (direct) return direct;

  const budget = { ...limits };
  // Fenced blocks first: when a model fences its JSON, the fence is the answer.
  const fences = [...text.matchAll(/```[a-zA-Z0-9_-]*\s*\n?([\s\S]*?)```/g)].map((m) => m[1].trim());
  for (const f of fences) {
    if (exhausted(budget)) break;
    budget.attempts--;
    const r = tryParse(f, budget) ?? extractEmbedded(f, budget);
    if (r) return r;
  }
  const embedded = exhausted(budget) ? null : extractEmbedded(text, budget);
  if (embedded) return embedded;
  if (exhausted(budget)) return { ok: false, reason: `no JSON object could be read from the answer (the search stopped at its limit of ${limits.attempts} candidates or ${limits.chars} characters)` };
  return { ok: false, reason: 'no JSON object could be read from the answer' };
}

const exhausted = (b: SearchBudget) => b.attempts <= 0 || b.chars <= 0;

/** Prose around JSON: try each { (objects preferred over arrays) until one parses or the budget is spent. */
function extractEmbedded(text: string, budget: SearchBudget): { ok: true; value: unknown } | null {
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) {
      if (exhausted(budget)) return null;
      budget.attempts--;
      const block = balancedFrom(text, i, budget);
      if (!block) continue;
      const r = tryParse(block, budget);
      if (r) return r;
    }
  }
  return null;
}
