/**
 * The Workers AI binding (`env.AI.run`; https://developers.cloudflare.com/workers-ai/features/json-mode/). Its chat models take OpenAI-style
 * messages and `response_format: {type: 'json_schema', json_schema: <schema>}` (the schema itself,
 * not OpenAI's {name, schema} wrapper), answer `{response, usage}` (newer models: OpenAI's
 * `choices` shape), and fail by throwing errors whose message carries the code. Image parts must be
 * data: URLs.
 */
import type { LlmConfig } from './config';
import { gatewayRunOptions } from './gateway';
import { LlmCallError, type ChatProvider, type ChatResult } from './types';

/** What the recognizer needs from the binding, so tests and other hosts can pass anything shaped like it. */
export interface AiBindingLike {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

export function workersAiProvider(cfg: LlmConfig, ai: AiBindingLike): ChatProvider {
  return {
    name: 'workers-ai',
    model: cfg.model,
    async attempt(req, signal) {
      const inputs: Record<string, unknown> = {
        messages: req.messages,
        // Workers AI's own default (256) is too short for a post with several entities and expansions.
        max_tokens: Math.min(req.maxTokens ?? cfg.maxTokens, cfg.maxTokens),
        ...(cfg.jsonSchema && req.jsonSchema ? { response_format: { type: 'json_schema', json_schema: req.jsonSchema.schema } } : {}),
      };
      let out: unknown;
      try {
        const pending = ai.run(cfg.model, inputs, { ...gatewayRunOptions(cfg, req.requestId), signal });
        req.onSent?.();
        out = await pending;
      } catch (e) {
        if (signal.aborted) throw e;
        throw classifyBindingError(e);
      }
      return readOutput(out, cfg.model);
    },
  };
}

/**
 * Binding errors are plain Errors; the message holds Workers AI's code and text, e.g.
 * "3040: Capacity temporarily exceeded" or "AiError: ... (429)". Read them conservatively:
 * unknown errors are not retried.
 */
export function classifyBindingError(e: unknown): LlmCallError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/\b429\b|rate.?limit|too many requests|\b3040\b|capacity/i.test(msg)) return new LlmCallError('rate-limited', msg, { status: 429, cause: e });
  if (/\b(503|529)\b|overloaded|unavailable/i.test(msg)) return new LlmCallError('overloaded', msg, { status: 503, cause: e });
  if (/\b5\d\d\b|internal (server )?error|\b3043\b/i.test(msg)) return new LlmCallError('server', msg, { status: 500, cause: e });
  if (/timed? ?out|\b3007\b/i.test(msg)) return new LlmCallError('timeout', msg, { cause: e });
  if (/network|fetch failed|connection/i.test(msg)) return new LlmCallError('connection', msg, { cause: e });
  return new LlmCallError('rejected', msg, { cause: e });
}

function readOutput(out: unknown, model: string): ChatResult {
  const o = (out ?? {}) as {
    response?: unknown;
    choices?: Array<{ message?: { content?: unknown } }>;
    usage?: Record<string, unknown>;
  };
  let content: unknown = o.response;
  if (content === undefined && Array.isArray(o.choices)) content = o.choices[0]?.message?.content;
  if (content === undefined && typeof out !== 'string') {
    throw new LlmCallError('bad-response', 'the Workers AI model returned neither `response` nor `choices` (is LLM_MODEL a text-generation model?)');
  }
  if (typeof out === 'string') content = out;
  // In JSON mode the binding may hand back the parsed object.
  const text = typeof content === 'string' ? content : content === null ? '' : JSON.stringify(content);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const p = num(o.usage?.prompt_tokens);
  const c = num(o.usage?.completion_tokens);
  return { content: text, usage: { prompt_tokens: p, completion_tokens: c, total_tokens: num(o.usage?.total_tokens) || p + c }, model };
}
