/**
 * Any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI's /openai/v1, vLLM, Ollama,
 * Groq, Together, OpenRouter, an AI Gateway URL) through the official `openai` SDK, which runs in
 * workerd unchanged (checked locally in workerd, with and without nodejs_compat: plain, JSON-schema, streaming,
 * timeout and abort). The SDK's own retries are off (retry.ts does them) and its
 * timeout is only a backstop behind our per-attempt abort.
 */
import OpenAI from 'openai';
import type { LlmConfig } from './config';
import { kindForStatus, retryAfterMs } from './failure';
import { gatewayHeaders } from './gateway';
import { LlmCallError, type ChatProvider, type ChatRequest, type ChatResult } from './types';

type CreateBody = Parameters<OpenAI['chat']['completions']['create']>[0];

/**
 * A per-request hook rides in the SDK's `fetchOptions` (spread into the RequestInit it passes to fetch) under a
 * private symbol, so the wrapper below can say "this request has been handed to the runtime" for exactly the call
 * that asked; the real fetch never sees it.
 */
const ON_SENT = Symbol('gmner.onSent');
type HookedInit = RequestInit & { [ON_SENT]?: () => void };

/** fetch that calls the request's ON_SENT hook right after the runtime has taken the request. */
export function sentSignallingFetch(base: typeof fetch): typeof fetch {
  return (input, init) => {
    const { [ON_SENT]: onSent, ...rest } = (init ?? {}) as HookedInit;
    const response = base(input, rest);
    onSent?.();
    return response;
  };
}

/** Providers that cannot do structured output answer 400 naming the parameter. */
const SCHEMA_REJECTED = /response_format|json_schema|structured output|guided/i;
/** OpenAI's reasoning models refuse `max_tokens` and name its successor. */
const MAX_TOKENS_REJECTED = /max_tokens[\s\S]*max_completion_tokens/i;

export function openAiCompatibleProvider(cfg: LlmConfig, deps: { fetch?: typeof fetch } = {}): ChatProvider {
  const client = new OpenAI({
    baseURL: cfg.baseUrl!,
    apiKey: cfg.apiKey!,
    maxRetries: 0,
    timeout: cfg.timeoutMs + 5_000,
    // Looked up per call, not captured, so a test or a runtime that swaps the global fetch is honoured.
    fetch: sentSignallingFetch(deps.fetch ?? ((input, init) => fetch(input, init))),
  });
  // Learned once per isolate, so a provider without structured output costs one extra 400, not one per call.
  let schemaUnsupported = false;
  let tokensParam: 'max_tokens' | 'max_completion_tokens' = 'max_tokens';

  async function send(req: ChatRequest, signal: AbortSignal, withSchema: boolean): Promise<ChatResult> {
    const body = {
      model: cfg.model,
      messages: req.messages,
      stream: false,
      // Never unbounded: a runaway answer costs tokens, time and parsing work.
      [tokensParam]: Math.min(req.maxTokens ?? cfg.maxTokens, cfg.maxTokens),
      ...(withSchema && req.jsonSchema
        ? { response_format: { type: 'json_schema', json_schema: { name: req.jsonSchema.name, strict: true, schema: req.jsonSchema.schema } } }
        : {}),
    } as unknown as CreateBody;
    let completion: unknown;
    try {
      completion = await client.chat.completions.create(body, {
        signal,
        maxRetries: 0,
        headers: gatewayHeaders(cfg, req.requestId),
        ...(req.onSent ? { fetchOptions: { [ON_SENT]: req.onSent } as Record<symbol, unknown> } : {}),
      });
    } catch (e) {
      throw toCallError(e);
    }
    return readCompletion(completion, cfg.model);
  }

  return {
    name: 'openai',
    model: cfg.model,
    async attempt(req, signal) {
      // Each refused parameter is learned once (per isolate) and the call asked again.
      for (let tries = 0; ; tries++) {
        const withSchema = cfg.jsonSchema && !schemaUnsupported && req.jsonSchema !== undefined;
        try {
          return await send(req, signal, withSchema);
        } catch (e) {
          if (tries < 2 && e instanceof LlmCallError && e.status === 400) {
            if (tokensParam === 'max_tokens' && MAX_TOKENS_REJECTED.test(e.message)) {
              tokensParam = 'max_completion_tokens';
              continue;
            }
            if (withSchema && SCHEMA_REJECTED.test(e.message)) {
              schemaUnsupported = true;
              continue;
            }
          }
          throw e;
        }
      }
    },
  };
}

function toCallError(e: unknown): unknown {
  // Our own abort (timeout or caller): retry.ts knows which, so pass it through untouched.
  if (e instanceof OpenAI.APIUserAbortError) return e;
  if (e instanceof OpenAI.APIConnectionTimeoutError) return new LlmCallError('timeout', e.message, { cause: e });
  if (e instanceof OpenAI.APIConnectionError) {
    const cause = (e as { cause?: unknown }).cause;
    return new LlmCallError('connection', cause instanceof Error ? `${e.message} (${cause.message})` : e.message, { cause: e });
  }
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    return new LlmCallError(kindForStatus(e.status), e.message, { status: e.status, retryAfterMs: retryAfterMs(e.headers), cause: e });
  }
  return e;
}

function readCompletion(completion: unknown, configuredModel: string): ChatResult {
  const c = completion as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>; usage?: Record<string, unknown>; model?: unknown } | string | null;
  if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) {
    throw new LlmCallError('bad-response', 'the endpoint did not answer with a chat completion (check LLM_BASE_URL: it should end in /v1 or the provider\'s equivalent)');
  }
  const content = c.choices[0]?.message?.content;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const prompt = num(c.usage?.prompt_tokens);
  const completionTokens = num(c.usage?.completion_tokens);
  return {
    content: typeof content === 'string' ? content : '',
    truncated: c.choices[0]?.finish_reason === 'length',
    usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: num(c.usage?.total_tokens) || prompt + completionTokens },
    model: typeof c.model === 'string' && c.model ? c.model : configuredModel,
  };
}
