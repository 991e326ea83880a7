/**
 * From the model's text to candidate entities. The answer as a whole is unusable only when no
 * entity list can be read from it at all (that triggers the one repair request); a single malformed
 * entry is dropped with its reason and the rest are kept.
 */
import type { DroppedEntity } from '../pipeline/contracts';
import { AnswerEnvelopeSchema, RawEntitySchema, type RawEntity } from './answer-schema';
import { extractJson } from './json-repair';

export interface CandidateEntity {
  text: string;
  type: string | null;
  fine_type: string | null;
  expansion: string | null;
}

export type ParsedAnswer =
  | { ok: true; candidates: CandidateEntity[]; dropped: DroppedEntity[] }
  | { ok: false; reason: string };

export function parseAnswer(content: string): ParsedAnswer {
  const json = extractJson(content);
  if (!json.ok) return json;
  const envelope = AnswerEnvelopeSchema.safeParse(json.value);
  if (!envelope.success) {
    return { ok: false, reason: 'the JSON has no "entities" list' };
  }
  const candidates: CandidateEntity[] = [];
  const dropped: DroppedEntity[] = [];
  for (const item of envelope.data.entities) {
    const r = RawEntitySchema.safeParse(item);
    const e: RawEntity | null = r.success ? r.data : null;
    if (!e || e.text === null || e.text.trim() === '') {
      dropped.push({ text: typeof item === 'string' ? item : JSON.stringify(item)?.slice(0, 200) ?? '', type: e?.type ?? null, reason: 'malformed entry: no entity text' });
      continue;
    }
    candidates.push({ text: e.text, type: e.type, fine_type: e.fine_type, expansion: e.expansion });
  }
  return { ok: true, candidates, dropped };
}
