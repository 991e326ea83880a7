/**
 * The recorded OpenAI-compatible server (test/llm-server) as the workerd tests use it: a recognizer or an
 * env pointed at it, answers scripted for one test, and the requests it received for a model name.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { createRecognizer, llmConfigFromEnv } from '../../shared/recognize';
import { LLM_SERVER_ORIGIN, LLM_SERVER_URL } from '../llm-server/constants';

/** A post, and the entities a scripted LLM answers for it (`person` is not a GMNER type: the recognizer maps it). */
export const DURANT_TEXT = 'RT @ hoopsdaily : Kevin Durant arrives at Chase Center # NBA';
export const DURANT_ENTITIES = [
  { text: 'Kevin Durant', type: 'person', fine_type: null, expansion: 'an American basketball player' },
  { text: 'Chase Center', type: 'LOC', fine_type: null, expansion: 'an indoor arena in San Francisco' },
];

/** The LLM variables that point the API at the recorded server with this model name (its behaviour). */
export const llmVars = (model: string) => ({ LLM_BASE_URL: LLM_SERVER_URL, LLM_API_KEY: 'sk-test', LLM_MODEL: model });

/** A recognizer on the recorded server; `vars` adds or overrides LLM_* variables. */
export function recordedRecognizer(model: string, vars: Record<string, unknown> = {}) {
  const r = llmConfigFromEnv({ ...llmVars(model), ...vars });
  if (!r.config) throw new Error(r.problems.join('; '));
  return createRecognizer(r.config);
}

/** The requests the server received for a model name, oldest first. */
export async function recordedRequests<T = { headers: Record<string, string>; body: any; at: number }>(model: string): Promise<T[]> {
  return (await fetch(`${LLM_SERVER_ORIGIN}/__requests?model=${encodeURIComponent(model)}`)).json() as Promise<T[]>;
}

/** How many chat completions the server received for a model name. */
export const recordedCalls = async (model: string): Promise<number> => (await recordedRequests(model)).length;

/** Registers the answers (strings, or `{status, message}` failures) the model `scripted?id=<id>` gives in turn. */
export function scriptAnswers(id: string, answers: unknown[]): Promise<Response> {
  return fetch(`${LLM_SERVER_ORIGIN}/__script`, { method: 'POST', body: JSON.stringify({ id, answers }) });
}

let scriptN = 0;
/**
 * Registers the LLM's answers for one test under a fresh id and returns the env that points the API at
 * them (the test's env plus `extra`).
 */
export async function scriptedEnv(prefix: string, answers: unknown[], extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const id = `${prefix}-${++scriptN}-${Date.now()}`;
  expect((await scriptAnswers(id, answers)).status).toBe(200);
  return { ...env, ...llmVars(`scripted?id=${id}`), ...extra } as Record<string, unknown>;
}
