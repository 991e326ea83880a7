/**
 * The one interface the recognizer needs from an LLM provider: send chat messages, get text and
 * token counts back. Providers (OpenAI-compatible HTTP, the Workers AI binding) implement one
 * attempt; retries, timeouts and the mapping to problems are shared (retry.ts, failure.ts).
 */

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** JSON Schema the answer must follow, sent as `response_format` when the provider is asked to. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** Upper bound on the answer's length; some providers (Workers AI) default far too low. */
  maxTokens?: number;
  /** For AI Gateway metadata and provider logs. */
  requestId?: string;
  /** Called when an attempt's request has been handed to the runtime (see RecognizeInput.onSent). */
  onSent?: () => void;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResult {
  content: string;
  usage: TokenUsage;
  /** The model that answered, as the provider reports it. */
  model: string;
  /** The answer stopped at the token limit (finish_reason "length"). */
  truncated?: boolean;
}

/** One attempt, no retries. Must stop when `signal` aborts. Failures are thrown as LlmCallError. */
export interface ChatProvider {
  readonly name: 'openai' | 'workers-ai';
  readonly model: string;
  attempt(req: ChatRequest, signal: AbortSignal): Promise<ChatResult>;
}

/** Retrying, time-limited chat; failures are ProblemErrors (or the caller's abort reason). */
export interface ChatClient {
  readonly provider: string;
  readonly model: string;
  complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult>;
}

/** Provider-neutral classification of a failed attempt. */
export type LlmFailureKind =
  | 'timeout' // no answer within the per-attempt limit
  | 'rate-limited' // 429
  | 'overloaded' // 503, 529: the provider says try later
  | 'server' // other 5xx
  | 'connection' // nothing came back (DNS, refused, reset)
  | 'rejected' // 4xx other than 429: the request or the credentials are wrong
  | 'bad-response'; // 2xx without a usable completion

export class LlmCallError extends Error {
  readonly kind: LlmFailureKind;
  readonly status?: number;
  /** The provider's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs?: number;

  constructor(kind: LlmFailureKind, message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LlmCallError';
    this.kind = kind;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
