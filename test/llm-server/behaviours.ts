/**
 * How the recorded server answers, chosen by the request's `model`: `<behaviour>?<k>=<v>&...`.
 * The query part also makes a model name unique to a test, since failure counters are kept per
 * model name and post. Behaviours:
 *
 *  recorded         the recorded answer (free-form types as ChatGPT wrote them) as plain JSON
 *  prose            the same JSON with chatty prose before and after
 *  fenced           the same JSON in a ```json fence
 *  trailing-commas  the same JSON with trailing commas and type names in odd case
 *  malformed        truncated JSON for the first `times` calls (default: always), then recorded
 *  unknown-types    recorded, plus an entity typed VEHICLE
 *  absent           recorded, plus an entity that is not in the post
 *  empty            {"entities": []}
 *  cut              truncated JSON with finish_reason "length" (an answer stopped at max_tokens), every call
 *  braces           `count` (default 32,000) unbalanced `{`, every call: an answer built to make a JSON search quadratic
 *  no-max-tokens    400 naming max_completion_tokens when the request carries `max_tokens` (OpenAI's reasoning models)
 *  slow             recorded after `delay_ms` (default 3000; expansion questions after `expand_delay_ms` if given)
 *  rate-limited     429 with Retry-After `retry_after` s (or retry-after-ms `retry_after_ms`) for the first `times` calls
 *  fail500 / fail503  that status for the first `times` calls (default: always), then recorded
 *  unauthorized     401
 *  no-json-schema   400 when the request carries response_format, else recorded
 *  html             200 with an HTML page (a base URL pointing at a website, not an API)
 *  scripted         answers registered by a test via POST /__script {id, answers}, in order
 */
import type { Recording, RecordingStore } from './recordings';
import { splitEntityKey, type PromptKind } from './prompt-reading';

export interface ParsedModel {
  behaviour: string;
  params: URLSearchParams;
}

export function parseModel(model: string): ParsedModel {
  const q = model.indexOf('?');
  return q === -1 ? { behaviour: model, params: new URLSearchParams() } : { behaviour: model.slice(0, q), params: new URLSearchParams(model.slice(q + 1)) };
}

export type Reply =
  | { kind: 'content'; content: string; delayMs?: number }
  | { kind: 'error'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; contentType: string; body: string };

/** What a recorded model would have answered: the entity list in the recognizer's JSON shape. */
export function recordedAnswer(store: RecordingStore, rec: Recording, wantsExpansion: boolean): { entities: Array<Record<string, unknown>> } {
  return {
    entities: store.entities(rec).map((e) => ({
      text: e.name,
      type: e.type,
      fine_type: null,
      ...(wantsExpansion ? { expansion: store.expansion(rec, e.name) ?? null } : {}),
    })),
  };
}

/** RiVEG's recorded answer to its expansion question, or a plain stand-in flagged as such. */
export function recordedExpansion(store: RecordingStore, rec: Recording, entityKey: string): { content: string; recorded: boolean } {
  const { name, type } = splitEntityKey(entityKey);
  const hit = store.expansion(rec, name, type);
  return hit !== undefined ? { content: hit, recorded: true } : { content: `An entity named ${name} mentioned in the post.`, recorded: false };
}

function withTrailingCommas(answer: { entities: Array<Record<string, unknown>> }): string {
  const items = answer.entities.map((e) => {
    const fields = Object.entries(e).map(([k, v]) => {
      const value = k === 'type' && typeof v === 'string' ? oddCase(v) : v;
      return `"${k}": ${JSON.stringify(value)},`;
    });
    return `{${fields.join(' ')}}`;
  });
  return `{"entities": [${items.map((i) => i + ',').join('\n')}],}`;
}

/** "person/politician" -> "Person/Politician", "PER" -> "per": models are not careful about case. */
const oddCase = (s: string) => (s === s.toUpperCase() ? s.toLowerCase() : s.replace(/\b\w/g, (c) => c.toUpperCase()));

/**
 * The content for a recognition or expansion request under a content-shaping behaviour, given the
 * recorded answer. Failure behaviours are decided by the server before this is called.
 */
export function shapeContent(behaviour: string, prompt: PromptKind & { kind: 'recognize' | 'expand' }, recorded: string, answer: { entities: Array<Record<string, unknown>> } | null, post: string): string {
  if (prompt.kind === 'expand' || !answer) {
    if (behaviour === 'prose') return `Sure. ${recorded}\nI hope this helps.`;
    return recorded;
  }
  switch (behaviour) {
    case 'prose':
      return `Sure! Here are the named entities I found in the post:\n\n${JSON.stringify(answer, null, 2)}\n\nLet me know if you need anything else.`;
    case 'fenced':
      return '```json\n' + JSON.stringify(answer, null, 2) + '\n```';
    case 'trailing-commas':
      return withTrailingCommas(answer);
    case 'unknown-types': {
      const word = post.split(/\s+/).find((w) => /^\p{L}{3,}$/u.test(w)) ?? post.slice(0, 5);
      return JSON.stringify({ entities: [...answer.entities, { text: word, type: 'VEHICLE', fine_type: null, expansion: 'a vehicle' }] });
    }
    case 'absent':
      return JSON.stringify({ entities: [...answer.entities, { text: 'Barack Obama', type: 'PER', fine_type: null, expansion: 'a former US president' }] });
    case 'empty':
      return JSON.stringify({ entities: [] });
    default:
      return JSON.stringify(answer);
  }
}

export const MALFORMED = '{"entities": [{"text": "';
