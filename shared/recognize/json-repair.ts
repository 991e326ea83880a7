/**
 * Gets a JSON value out of what a chat model actually wrote: code fences, prose before and after,
 * trailing commas, smart quotes around keys. Only repairs that cannot change the meaning of valid
 * JSON are applied; anything else is reported as unusable so the caller can ask once more.
 */

export type ExtractResult = { ok: true; value: unknown } | { ok: false; reason: string };

/** The first balanced {...} or [...] starting at or after `from`, string- and escape-aware. */
function balancedFrom(s: string, from: number): string | null {
  const open = s[from];
  const close = open === '{' ? '}' : ']';
  const stack: string[] = [close];
  let inString = false;
  for (let i = from + 1; i < s.length; i++) {
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
      if (stack.pop() !== c) return null;
      if (stack.length === 0) return s.slice(from, i + 1);
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

function tryParse(candidate: string): { ok: true; value: unknown } | null {
  for (const variant of [candidate, removeTrailingCommas(candidate), removeTrailingCommas(candidate.replace(/[“”]/g, '"'))]) {
    try {
      return { ok: true, value: JSON.parse(variant) };
    } catch {
      // next variant
    }
  }
  return null;
}

export function extractJson(raw: string): ExtractResult {
  const text = raw.replace(/^\uFEFF/, '').trim();
  if (!text) return { ok: false, reason: 'the answer was empty' };
  const direct = tryParse(text);
  if (direct) return direct;

  // Fenced blocks first: when a model fences its JSON, the fence is the answer.
  const fences = [...text.matchAll(/```[a-zA-Z0-9_-]*\s*\n?([\s\S]*?)```/g)].map((m) => m[1].trim());
  for (const f of fences) {
    const r = tryParse(f) ?? extractEmbedded(f);
    if (r) return r;
  }
  const embedded = extractEmbedded(text);
  if (embedded) return embedded;
  return { ok: false, reason: 'no JSON object could be read from the answer' };
}

/** Prose around JSON: try every { (objects preferred over arrays) until one parses. */
function extractEmbedded(text: string): { ok: true; value: unknown } | null {
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) {
      const block = balancedFrom(text, i);
      if (!block) continue;
      const r = tryParse(block);
      if (r) return r;
    }
  }
  return null;
}
