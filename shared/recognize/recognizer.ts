/**
 * The LLM recognizer: post -> entities with UTF-16 spans, types in the requested label set, and
 * RiVEG's expansion expressions.
 *
 * `batched` (default): one call returns every entity with its type and expansion.
 * `per_entity` (RiVEG's `data_processing/MNER_processing/GPT request.py`, https://github.com/JinYuanLi0012/RiVEG: one
 * gpt-3.5-turbo call per predicted entity): one call recognizes, then one call per distinct entity asks
 * RiVEG's expansion question, a few at a time. Identical `Name(TYPE)` questions in one post are
 * asked once, since they are the same prompt.
 *
 * What the model answers is never trusted: the answer is parsed tolerantly, repaired once by
 * asking again, every type is mapped onto the label set, every entity must be found in the text.
 */
import type { DroppedEntity, LabelSet, LlmUsage, RecognizeInput, RecognizeOutput, RecognizedEntity, Recognizer } from '../pipeline/contracts';
import { ProblemError } from '../problems';
import type { LlmConfig, RecognizeMode } from '../llm/config';
import { createChatClient, type LlmDeps } from '../llm/index';
import type { ChatClient, ChatMessage, ChatResult } from '../llm/types';
import { cleanDescription, expansionExpression } from '../pipeline/expression';
import { mapLimit } from '../pool';
import { alignAll, type AlignInput } from './align';
import { answerJsonSchema } from './answer-schema';
import { parseAnswer, type CandidateEntity } from './parse-answer';
import { recognitionMessages, repairMessages } from './prompt-batched';
import { rivegExpansionMessages } from './prompt-riveg';
import { resolveType } from './type-map';

export interface LlmRecognizeInput extends RecognizeInput {
  /** Overrides LLM_MODE for this request. */
  mode?: RecognizeMode;
}

export interface LlmRecognizer extends Recognizer {
  recognize(input: LlmRecognizeInput): Promise<RecognizeOutput>;
}

/** Expansion calls in flight at once per post (Workers allow six open connections per request). */
const EXPANSION_CONCURRENCY = 4;
const EXPANSION_MAX_TOKENS = 128;
/** A post has a handful of entities; a runaway answer must not cost quadratic alignment work. */
const MAX_CANDIDATES = 100;

interface Payload {
  fine_type: string | null;
  expansion: string | null;
}

export function createRecognizer(config: LlmConfig, deps: LlmDeps = {}): LlmRecognizer {
  const chat = createChatClient(config, deps);
  return {
    id: `llm:${config.provider}:${config.model}`,
    recognize: (input) => recognize(chat, config, input),
  };
}

function addUsage(u: LlmUsage, r: ChatResult): void {
  u.calls += 1;
  u.prompt_tokens += r.usage.prompt_tokens;
  u.completion_tokens += r.usage.completion_tokens;
  u.total_tokens += r.usage.total_tokens;
}

/** The image goes to the model only when asked for, and only in a form the provider takes. */
function imageForModel(config: LlmConfig, url: string | undefined): string | undefined {
  if (!config.sendImage || !url) return undefined;
  if (config.provider === 'workers-ai' && !url.startsWith('data:')) return undefined;
  return url;
}

async function recognize(chat: ChatClient, config: LlmConfig, input: LlmRecognizeInput): Promise<RecognizeOutput> {
  const mode = input.mode ?? config.mode;
  const usage: LlmUsage = { calls: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (input.text.trim() === '') return { entities: [], dropped: [], usage, model: config.model };
  const imageUrl = imageForModel(config, input.image_url);

  const first = await askForEntities(chat, config, input, mode === 'batched', imageUrl, usage);
  const dropped: DroppedEntity[] = [...first.dropped];
  const typed: AlignInput<Payload>[] = [];
  for (const [i, c] of first.candidates.entries()) {
    if (i >= MAX_CANDIDATES) {
      dropped.push({ text: c.text, type: c.type, reason: `more than ${MAX_CANDIDATES} entities in one answer` });
      continue;
    }
    const t = resolveType(input.labels, c.type, c.fine_type);
    if (t.ok) typed.push({ text: c.text, type: t.type, payload: { fine_type: t.fine_type, expansion: c.expansion } });
    else dropped.push({ text: c.text, type: c.type, reason: t.reason });
  }
  const { placed, unplaced } = alignAll(input.text, typed);
  for (const u of unplaced) dropped.push({ text: u.text, type: u.type, reason: u.reason });

  let describe = (p: (typeof placed)[number]) => p.payload.expansion;
  if (mode === 'per_entity' && placed.length > 0) {
    // one expansion call per distinct name among the entities that will be examined, not per name the model listed
    const examined = placed.slice(0, input.max_entities ?? placed.length);
    const keys = [...new Map(examined.map((p) => [`${p.text}\u0000${p.type}`, { name: p.text, type: p.type }])).entries()];
    const answers = await mapLimit(
      keys,
      EXPANSION_CONCURRENCY,
      async ([, q], signal) => {
        const r = await chat.complete(
          {
            messages: rivegExpansionMessages({ text: input.text, name: q.name, type: q.type, caption: input.caption, imageUrl }),
            maxTokens: EXPANSION_MAX_TOKENS,
            requestId: input.request_id,
          },
          signal,
        );
        addUsage(usage, r);
        return cleanDescription(r.content);
      },
      input.signal,
    );
    const byKey = new Map(keys.map(([k], i) => [k, answers[i]]));
    describe = (p) => byKey.get(`${p.text}\u0000${p.type}`) ?? null;
  }

  const entities: RecognizedEntity[] = placed.map((p) => ({
    text: p.text,
    start: p.start,
    end: p.end,
    type: p.type,
    fine_type: p.payload.fine_type,
    expansion: expansionExpression(p.text, p.type, describe(p)),
  }));
  return { entities, dropped, usage, model: first.model };
}

/** The recognition call, plus at most one repair call when its answer cannot be read. */
async function askForEntities(
  chat: ChatClient,
  config: LlmConfig,
  input: LlmRecognizeInput,
  withExpansion: boolean,
  imageUrl: string | undefined,
  usage: LlmUsage,
): Promise<{ candidates: CandidateEntity[]; dropped: DroppedEntity[]; model: string }> {
  const labels: LabelSet = input.labels;
  const messages: ChatMessage[] = recognitionMessages({ text: input.text, labels, caption: input.caption, imageUrl }, withExpansion);
  const base = {
    jsonSchema: { name: 'entities', schema: answerJsonSchema(labels, withExpansion) },
    maxTokens: config.maxTokens,
    requestId: input.request_id,
  };
  // Only the first request gates the caller's image work; later attempts and calls need not signal.
  let signalled = false;
  const onSent = input.onSent && (() => {
    if (signalled) return;
    signalled = true;
    input.onSent!();
  });
  const r1 = await chat.complete({ ...base, messages, onSent }, input.signal);
  addUsage(usage, r1);
  const p1 = cutOff(parseAnswer(r1.content), r1, config);
  if (p1.ok) return { ...p1, model: r1.model };

  const r2 = await chat.complete({ ...base, messages: repairMessages(messages, r1.content, p1.reason, labels, withExpansion) }, input.signal);
  addUsage(usage, r2);
  const p2 = cutOff(parseAnswer(r2.content), r2, config);
  if (p2.ok) return { ...p2, model: r2.model };
  throw new ProblemError(
    'llm-unusable-answer',
    `The LLM's answer could not be used after one repair request: ${p2.reason}.`,
    { extensions: { dependency: 'llm', provider: chat.provider, model: chat.model, reason: p2.reason, first_reason: p1.reason, usage: { ...usage } } },
  );
}

/** An unreadable answer that hit the token limit says so: the fix is LLM_MAX_TOKENS, not the prompt. */
function cutOff(p: ReturnType<typeof parseAnswer>, r: ChatResult, config: LlmConfig): ReturnType<typeof parseAnswer> {
  if (p.ok || !r.truncated) return p;
  return { ok: false, reason: `${p.reason}; the answer was cut off at LLM_MAX_TOKENS (${config.maxTokens} tokens)` };
}
