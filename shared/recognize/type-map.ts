/**
 * Maps whatever type names a model wrote onto the requested label set. Exact names win; then the
 * vocabulary (synonyms, fine types, OntoNotes tags) on the whole phrase, its head word and its other
 * words; compounds ("person/politician", "Riverton Rockets, basketball team") are read part by
 * part, first part that maps wins. A type that cannot be mapped makes the entity a `dropped` one
 * with the reason, never a guess.
 */
import type { LabelSet } from '../pipeline/contracts';
import {
  FMNERG_COARSE, FMNERG_COARSE_TO_GMNER, FMNERG_FINE_TO_COARSE, GMNER_TYPES,
} from './labels';
import { ACCOUNT, ACCOUNT_WORDS, NOT_ENTITY, TYPE_VOCABULARY } from './type-vocabulary';

export type TypeResolution =
  | { ok: true; type: string; fine_type: string | null }
  | { ok: false; reason: string };

/** What one raw type string means on the FMNERG tree. */
type Meaning =
  | { kind: 'type'; coarse: string; fine: string | null }
  | { kind: 'not-entity'; word: string }
  | { kind: 'account'; word: string };

const GMNER_NAMES = new Set(GMNER_TYPES.map((t) => t.name));
/** GMNER's own names read as FMNERG coarse types (OTHER is the only lossy one). */
const GMNER_TO_COARSE: Record<string, string> = { PER: 'person', ORG: 'organization', LOC: 'location', OTHER: 'other' };

export function normalizeTypeText(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[_\-]+/g, ' ')
    .replace(/["'`“”‘’*#@]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.,:;]+|[\s.,:;]+$/g, '');
}

function singular(word: string): string | null {
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return null;
}

function targetMeaning(target: string, word: string): Meaning {
  if (target === NOT_ENTITY) return { kind: 'not-entity', word };
  if (target === ACCOUNT) return { kind: 'account', word };
  if (target.startsWith('coarse:')) return { kind: 'type', coarse: target.slice(7), fine: null };
  return { kind: 'type', coarse: FMNERG_FINE_TO_COARSE.get(target)!, fine: target };
}

function lookupWord(w: string): string | undefined {
  return TYPE_VOCABULARY.get(w) ?? (singular(w) ? TYPE_VOCABULARY.get(singular(w)!) : undefined);
}

/**
 * One part of a compound: the whole phrase, then its head (last) words, then the other words.
 * Only the phrase or its head can say "not an entity": in "sports division" the modifier "sports"
 * names a topic, but the phrase names an organization of some kind.
 */
function phraseMeaning(phrase: string): Meaning | null {
  const whole = lookupWord(phrase);
  if (whole) return targetMeaning(whole, phrase);
  const words = phrase.split(' ');
  for (let i = words.length - 1; i >= 0; i--) {
    const isHead = i === words.length - 1;
    // Two-word windows first, so "tv show" inside "popular tv show" beats "show" alone.
    const candidates = i > 0 ? [`${words[i - 1]} ${words[i]}`, words[i]] : [words[i]];
    for (const c of candidates) {
      const t = lookupWord(c);
      if (!t) continue;
      const m = targetMeaning(t, c);
      if (isHead || m.kind === 'type') return m;
    }
  }
  return null;
}

/** Reads a free-form type string; null when nothing in it is known. */
export function typeMeaning(raw: string): Meaning | null {
  const norm = normalizeTypeText(raw);
  if (!norm) return null;
  const whole = lookupWord(norm);
  if (whole) return targetMeaning(whole, norm);
  const parts = norm.split(/\s*(?:\/|,|;|\||\(|\)|\bor\b|\band\b)\s*/).filter(Boolean);
  // An account or hashtag marker anywhere means the string names the account, not the thing.
  for (const p of parts) {
    for (const w of p.split(' ')) if (ACCOUNT_WORDS.has(w) || ACCOUNT_WORDS.has(singular(w) ?? '')) return { kind: 'account', word: w };
  }
  for (let i = 0; i < parts.length; i++) {
    const m = phraseMeaning(parts[i]);
    if (!m) continue;
    // "person/politician": the first part decides the coarse type, a later one may refine it.
    if (m.kind === 'type' && m.fine === null) {
      for (const later of parts.slice(i + 1)) {
        const r = phraseMeaning(later);
        if (r?.kind === 'type' && r.fine !== null && r.coarse === m.coarse) return r;
      }
    }
    return m;
  }
  return null;
}

function fineName(raw: string): string | null {
  const snake = normalizeTypeText(raw).replace(/ /g, '_');
  return FMNERG_FINE_TO_COARSE.has(snake) ? snake : null;
}

function describe(raw: string | null | undefined): string {
  return raw === null || raw === undefined || raw === '' ? 'no type' : `type '${raw}'`;
}

function notAnnotated(m: Meaning & { kind: 'not-entity' | 'account' }, raw: string, labels: LabelSet): TypeResolution {
  return m.kind === 'account'
    ? { ok: false, reason: `${describe(raw)} marks a user handle or hashtag, not a named entity of the ${labels} label set` }
    : { ok: false, reason: `${describe(raw)} ('${m.word}') is not a named-entity type of the ${labels} label set` };
}

/**
 * The entity's type in the requested label set. `rawFine` helps when `rawType` is unknown (and is
 * the fine type for fmnerg). For fmnerg a valid fine type decides the coarse one, because it is the
 * more specific statement and the two must agree.
 */
export function resolveType(labels: LabelSet, rawType: string | null | undefined, rawFine?: string | null): TypeResolution {
  const typeText = typeof rawType === 'string' ? rawType.trim() : '';
  const fineText = typeof rawFine === 'string' ? rawFine.trim() : '';

  if (labels === 'gmner') {
    const upper = typeText.toUpperCase();
    if (GMNER_NAMES.has(upper)) return { ok: true, type: upper, fine_type: null };
    for (const raw of [typeText, fineText]) {
      if (!raw) continue;
      const m = typeMeaning(raw);
      if (m?.kind === 'type') return { ok: true, type: FMNERG_COARSE_TO_GMNER[m.coarse], fine_type: null };
      if (m) return notAnnotated(m, raw, labels);
    }
    return { ok: false, reason: `unknown ${describe(rawType)} for the gmner label set (PER, LOC, ORG, OTHER)` };
  }

  // fmnerg
  let fine = fineText ? fineName(fineText) : null;
  let coarse: string | null = null;
  const lower = typeText.toLowerCase();
  if (FMNERG_COARSE.includes(lower)) coarse = lower;
  else if (GMNER_NAMES.has(typeText.toUpperCase())) coarse = GMNER_TO_COARSE[typeText.toUpperCase()];
  else if (!fine && fineName(typeText)) fine = fineName(typeText); // a fine type in the coarse slot
  else if (typeText) {
    const m = typeMeaning(typeText);
    if (m?.kind === 'type') {
      coarse = m.coarse;
      fine ??= m.fine;
    } else if (m && !fine) return notAnnotated(m, typeText, labels);
  }
  if (!fine && fineText) {
    const m = typeMeaning(fineText);
    if (m?.kind === 'type' && m.fine && (!coarse || FMNERG_FINE_TO_COARSE.get(m.fine) === coarse)) fine = m.fine;
    if (m?.kind === 'type' && !coarse) coarse = m.coarse;
  }
  if (fine) coarse = FMNERG_FINE_TO_COARSE.get(fine)!;
  if (!coarse) return { ok: false, reason: `unknown ${describe(rawType)} for the fmnerg label set` };
  return { ok: true, type: coarse, fine_type: fine };
}
