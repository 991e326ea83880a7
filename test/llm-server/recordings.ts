/**
 * Recorded LLM output per post, and lookups by what a prompt contains. A recording holds ChatGPT's
 * auxiliary knowledge for the post (PGIM format, from which the entity list is read) and RiVEG's
 * ChatGPT expansion answers for the post's entities: real ones read from ../shared at run time, or
 * the invented unit set in recordings/unit.json written in the same shape.
 */
import { parsePgimKnowledge, type KnowledgeEntity } from './pgim';

export interface Recording {
  /** Twitter-GMNER image id (u1..u9 for the invented unit posts). */
  id: string;
  /** The post as Twitter-GMNER tokenizes it: tokens joined by single spaces. */
  text: string;
  /** ChatGPT's knowledge text ("Named entities: 1. ... Reasoning: ..."), at least its entity list. */
  knowledge: string;
  /** RiVEG's recorded expansion answers: `Name(TYPE)` -> description. */
  expansions: Array<{ entity: string; description: string }>;
}

export const normalizePostText = (s: string) => s.replace(/\s+/g, ' ').trim();

export class RecordingStore {
  private readonly byText = new Map<string, Recording>();
  /** Posts whose text occurs more than once in the data: the first recording answers. */
  duplicates = 0;

  constructor(recordings: Iterable<Recording> = []) {
    this.addAll(recordings);
  }

  addAll(recordings: Iterable<Recording>): void {
    for (const r of recordings) {
      const k = normalizePostText(r.text);
      if (this.byText.has(k)) this.duplicates++;
      else this.byText.set(k, r);
    }
  }

  get size(): number {
    return this.byText.size;
  }

  find(text: string): Recording | undefined {
    return this.byText.get(normalizePostText(text));
  }

  entities(r: Recording): KnowledgeEntity[] {
    return parsePgimKnowledge(r.knowledge);
  }

  /**
   * The recorded expansion for an entity: same `Name(TYPE)` first (case-insensitive), then the same
   * name under any type (RiVEG's MNER model and ChatGPT's knowledge may type a name differently).
   */
  expansion(r: Recording, name: string, type?: string): string | undefined {
    const n = normalizePostText(name).toLowerCase();
    if (type) {
      const key = `${n}(${type.toLowerCase()})`;
      const hit = r.expansions.find((e) => normalizePostText(e.entity).toLowerCase() === key);
      if (hit) return hit.description;
    }
    return r.expansions.find((e) => normalizePostText(e.entity.replace(/\([^()]*\)$/, '')).toLowerCase() === n)?.description;
  }
}
