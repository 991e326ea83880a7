/**
 * The hosted LLM's configuration, read from the Worker's environment (vars, secrets, bindings).
 * When something required is missing or invalid the answer is `config: null` plus the variable
 * names, so the API can say exactly what to set (a 503 llm-not-configured problem).
 */
import { declaredDefault, envFlag, envInt, envString, envText, envValue, positiveInt, type ConfigEnv } from '../config';
import { maxTokensFor, workLimitsFromEnv } from '../pipeline/limits';

export type LlmProviderName = 'openai' | 'workers-ai';
export type RecognizeMode = 'batched' | 'per_entity';

export interface LlmConfig {
  provider: LlmProviderName;
  /** OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 (openai provider only). */
  baseUrl: string | null;
  apiKey: string | null;
  model: string;
  /** Per attempt: each try of each call gets this long. */
  timeoutMs: number;
  /** Retries after the first attempt, on 429, 5xx and connection failures. */
  maxRetries: number;
  /** Upper bound on every answer's completion tokens (sent as max_tokens); a call asking for less gets less. */
  maxTokens: number;
  mode: RecognizeMode;
  /** Ask for `response_format: json_schema` (off for providers that reject it). */
  jsonSchema: boolean;
  /** Send the post's image to the model as an image part. */
  sendImage: boolean;
  /** AI Gateway `cf-aig-cache-ttl` in seconds; null leaves caching to the gateway's settings. */
  gatewayCacheTtl: number | null;
  /** Send `cf-aig-metadata` with the request id (on by default when the base URL is an AI Gateway). */
  gatewayMetadata: boolean;
  /** Workers AI only: route binding calls through this AI Gateway. */
  gatewayId: string | null;
}

export const LLM_DEFAULTS = {
  timeoutMs: declaredDefault<number>('LLM_TIMEOUT_MS'), maxRetries: declaredDefault<number>('LLM_MAX_RETRIES'),
  mode: declaredDefault<RecognizeMode>('LLM_MODE'), jsonSchema: declaredDefault<boolean>('LLM_JSON_SCHEMA'),
  sendImage: declaredDefault<boolean>('LLM_SEND_IMAGE'),
};

export interface LlmConfigResult {
  config: LlmConfig | null;
  /** Variables (or bindings) to set or correct, empty when config is present. */
  missing: string[];
  /** Why each listed variable is unusable, for the problem's detail. */
  problems: string[];
}

function nonNegativeInt(v: unknown, fallback: number): number {
  if (v === 0 || v === '0') return 0;
  return positiveInt(v, fallback);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function isGatewayUrl(url: string | null): boolean {
  if (!url) return false;
  try {
    return new URL(url).hostname === 'gateway.ai.cloudflare.com';
  } catch {
    return false;
  }
}

/** The LLM reads its variables and, for Workers AI, the AI binding. */
export type LlmEnv = ConfigEnv & { readonly AI?: unknown };

export function llmConfigFromEnv(env: LlmEnv): LlmConfigResult {
  const missing: string[] = [];
  const problems: string[] = [];
  const bad = (name: string, why: string) => {
    missing.push(name);
    problems.push(`${name} ${why}`);
  };

  const providerRaw = envText(env, 'LLM_PROVIDER').toLowerCase();
  const provider: LlmProviderName | null = providerRaw === 'openai' || providerRaw === 'workers-ai' ? providerRaw : null;
  if (!provider) bad('LLM_PROVIDER', `must be openai or workers-ai, not '${providerRaw}'`);

  const model = envString(env, 'LLM_MODEL');
  if (!model) bad('LLM_MODEL', 'is not set');

  const baseUrl = envString(env, 'LLM_BASE_URL');
  const apiKey = envString(env, 'LLM_API_KEY');
  if (provider === 'openai') {
    if (!baseUrl) bad('LLM_BASE_URL', 'is not set');
    else if (!isHttpUrl(baseUrl)) bad('LLM_BASE_URL', 'is not an http(s) URL');
    if (!apiKey) bad('LLM_API_KEY', 'is not set');
  }
  if (provider === 'workers-ai') {
    const ai = env.AI as { run?: unknown } | undefined;
    if (!ai || typeof ai.run !== 'function') bad('AI', 'binding is missing (wrangler.toml [ai] binding = "AI")');
  }

  const modeRaw = envText(env, 'LLM_MODE').toLowerCase();
  const mode: RecognizeMode | null = modeRaw === 'batched' || modeRaw === 'per_entity' ? modeRaw : null;
  if (!mode) bad('LLM_MODE', `must be batched or per_entity, not '${modeRaw}'`);

  const ttl = envString(env, 'AI_GATEWAY_CACHE_TTL');
  const ttlNum = ttl === null ? null : Number(ttl);
  if (ttlNum !== null && !(Number.isInteger(ttlNum) && ttlNum >= 0)) bad('AI_GATEWAY_CACHE_TTL', 'must be a whole number of seconds');

  if (missing.length > 0 || !provider || !model || !mode) return { config: null, missing, problems };
  return {
    config: {
      provider,
      baseUrl: provider === 'openai' ? baseUrl : null,
      apiKey: provider === 'openai' ? apiKey : null,
      model,
      timeoutMs: envInt(env, 'LLM_TIMEOUT_MS'),
      maxRetries: Math.min(nonNegativeInt(envValue(env, 'LLM_MAX_RETRIES'), LLM_DEFAULTS.maxRetries), 10),
      maxTokens: envInt(env, 'LLM_MAX_TOKENS', maxTokensFor(workLimitsFromEnv(env).maxEntities)),
      mode,
      jsonSchema: envFlag(env, 'LLM_JSON_SCHEMA'),
      sendImage: envFlag(env, 'LLM_SEND_IMAGE'),
      gatewayCacheTtl: ttlNum,
      gatewayMetadata: envFlag(env, 'AI_GATEWAY_METADATA', isGatewayUrl(baseUrl) || envString(env, 'AI_GATEWAY_ID') !== null),
      gatewayId: provider === 'workers-ai' ? envString(env, 'AI_GATEWAY_ID') : null,
    },
    missing: [],
    problems: [],
  };
}

/** Provider and model for the answer's `models` and /v1/models, configured or not. */
export function describeLlm(env: LlmEnv): { provider: string | null; model: string | null } {
  const r = llmConfigFromEnv(env);
  if (r.config) return { provider: r.config.provider, model: r.config.model };
  return { provider: envString(env, 'LLM_PROVIDER')?.toLowerCase() ?? null, model: envString(env, 'LLM_MODEL') };
}
