/** The hosted LLM: configuration and a retrying, time-limited chat client for the configured provider. */
import { ProblemError } from '../problems';
import type { LlmConfig } from './config';
import { openAiCompatibleProvider } from './openai-compatible';
import { retryingClient } from './retry';
import type { ChatClient } from './types';
import { workersAiProvider, type AiBindingLike } from './workers-ai';

export { llmConfigFromEnv, describeLlm, LLM_DEFAULTS, type LlmConfig, type LlmConfigResult, type RecognizeMode } from './config';
export type { ChatClient, ChatMessage, ChatRequest, ChatResult, TokenUsage } from './types';
export type { AiBindingLike } from './workers-ai';

export interface LlmDeps {
  /** The Workers AI binding (`env.AI`), required when LLM_PROVIDER=workers-ai. */
  ai?: AiBindingLike | Ai;
  /** fetch for the OpenAI-compatible provider (defaults to the global one). */
  fetch?: typeof fetch;
}

export function createChatClient(cfg: LlmConfig, deps: LlmDeps = {}): ChatClient {
  const provider =
    cfg.provider === 'workers-ai'
      ? workersAiProvider(cfg, requireBinding(deps.ai))
      : openAiCompatibleProvider(cfg, { fetch: deps.fetch });
  return retryingClient(provider, { maxRetries: cfg.maxRetries, timeoutMs: cfg.timeoutMs });
}

function requireBinding(ai: LlmDeps['ai']): AiBindingLike {
  if (!ai || typeof (ai as { run?: unknown }).run !== 'function') {
    throw new ProblemError('llm-not-configured', 'LLM_PROVIDER is workers-ai but the Workers AI binding (AI) is missing.', {
      extensions: { missing: ['AI'], dependency: 'llm', provider: 'workers-ai' },
    });
  }
  return ai as unknown as AiBindingLike;
}
