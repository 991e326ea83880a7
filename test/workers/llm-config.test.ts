import { describe, expect, it } from 'vitest';
import { describeLlm, llmConfigFromEnv } from '../../shared/llm/config';
import { problemFromFailure, retryAfterMs } from '../../shared/llm/failure';
import { gatewayHeaders, gatewayRunOptions } from '../../shared/llm/gateway';
import { retryDelay } from '../../shared/llm/retry';
import { LlmCallError } from '../../shared/llm/types';

const base = { LLM_BASE_URL: 'https://api.openai.com/v1', LLM_API_KEY: 'sk-x', LLM_MODEL: 'gpt-4o-mini' };

describe('llmConfigFromEnv', () => {
  it('names every missing variable', () => {
    expect(llmConfigFromEnv({})).toMatchObject({ config: null, missing: ['LLM_MODEL', 'LLM_BASE_URL', 'LLM_API_KEY'] });
    expect(llmConfigFromEnv({ LLM_MODEL: 'm', LLM_BASE_URL: '  ' }).missing).toEqual(['LLM_BASE_URL', 'LLM_API_KEY']);
  });

  it('applies the documented defaults', () => {
    expect(llmConfigFromEnv(base)).toEqual({
      config: {
        provider: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-x', model: 'gpt-4o-mini',
        timeoutMs: 20000, maxRetries: 2, maxTokens: 256 + 48 * 32, mode: 'batched', jsonSchema: true, sendImage: false,
        gatewayCacheTtl: null, gatewayMetadata: false, gatewayId: null,
      },
      missing: [], problems: [],
    });
  });

  it('reads every option', () => {
    const c = llmConfigFromEnv({
      ...base, LLM_TIMEOUT_MS: '1500', LLM_MAX_RETRIES: '0', LLM_MODE: 'per_entity', LLM_JSON_SCHEMA: 'off',
      LLM_SEND_IMAGE: 'on', AI_GATEWAY_CACHE_TTL: '3600', LLM_MAX_TOKENS: '900',
    }).config!;
    expect(c).toMatchObject({ timeoutMs: 1500, maxRetries: 0, maxTokens: 900, mode: 'per_entity', jsonSchema: false, sendImage: true, gatewayCacheTtl: 3600 });
  });

  it('rejects invalid values by name', () => {
    const r = llmConfigFromEnv({ ...base, LLM_PROVIDER: 'anthropic', LLM_MODE: 'fast', LLM_BASE_URL: 'ftp://x', AI_GATEWAY_CACHE_TTL: '1h' });
    expect(r.config).toBeNull();
    expect(r.missing).toEqual(['LLM_PROVIDER', 'LLM_MODE', 'AI_GATEWAY_CACHE_TTL']);
    expect(r.problems[0]).toContain("not 'anthropic'");
    expect(llmConfigFromEnv({ ...base, LLM_BASE_URL: 'ftp://x' }).missing).toEqual(['LLM_BASE_URL']);
  });

  it('workers-ai needs the model and the AI binding, not a URL or key', () => {
    expect(llmConfigFromEnv({ LLM_PROVIDER: 'workers-ai', LLM_MODEL: '@cf/meta/llama-3.1-8b-instruct' }).missing).toEqual(['AI']);
    const c = llmConfigFromEnv({ LLM_PROVIDER: 'workers-ai', LLM_MODEL: '@cf/m', AI: { run: async () => ({}) }, LLM_API_KEY: 'ignored' }).config!;
    expect(c).toMatchObject({ provider: 'workers-ai', baseUrl: null, apiKey: null, model: '@cf/m' });
  });

  it('turns AI Gateway metadata on for gateway URLs', () => {
    const gw = llmConfigFromEnv({ ...base, LLM_BASE_URL: 'https://gateway.ai.cloudflare.com/v1/acct/gw/openai' }).config!;
    expect(gw.gatewayMetadata).toBe(true);
    expect(llmConfigFromEnv({ ...base, LLM_BASE_URL: 'https://gateway.ai.cloudflare.com/v1/a/g/openai', AI_GATEWAY_METADATA: 'off' }).config!.gatewayMetadata).toBe(false);
  });

  it('describeLlm reports what is configured even when incomplete', () => {
    expect(describeLlm(base)).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(describeLlm({ LLM_MODEL: 'x' })).toEqual({ provider: null, model: 'x' });
  });
});

describe('AI Gateway headers', () => {
  it('sends the cache TTL and the request id as metadata', () => {
    expect(gatewayHeaders({ gatewayCacheTtl: 600, gatewayMetadata: true }, 'req-1')).toEqual({ 'cf-aig-cache-ttl': '600', 'cf-aig-metadata': '{"request_id":"req-1"}' });
    expect(gatewayHeaders({ gatewayCacheTtl: null, gatewayMetadata: false }, 'req-1')).toEqual({});
    expect(gatewayRunOptions({ gatewayId: 'gw', gatewayCacheTtl: 60, gatewayMetadata: true }, 'r')).toEqual({ gateway: { id: 'gw', cacheTtl: 60, metadata: { request_id: 'r' } } });
    expect(gatewayRunOptions({ gatewayId: null, gatewayCacheTtl: 60, gatewayMetadata: true }, 'r')).toBeUndefined();
  });
});

describe('Retry-After and backoff', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(retryAfterMs(h({ 'retry-after': 'Thu, 26 Nov 2026 12:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeUndefined();
  });

  it('waits exactly the Retry-After, gives up when it is too long, else backs off exponentially', () => {
    const p = { maxRetries: 2, timeoutMs: 1000, random: () => 0 };
    expect(retryDelay(1, new LlmCallError('rate-limited', 'x', { retryAfterMs: 1200 }), p)).toBe(1200);
    expect(retryDelay(1, new LlmCallError('rate-limited', 'x', { retryAfterMs: 120_000 }), p)).toBeNull();
    expect(retryDelay(1, new LlmCallError('server', 'x'), p)).toBe(500);
    expect(retryDelay(2, new LlmCallError('server', 'x'), p)).toBe(1000);
    expect(retryDelay(9, new LlmCallError('server', 'x'), p)).toBe(8000);
    expect(retryDelay(1, new LlmCallError('server', 'x'), { ...p, random: () => 1 })).toBe(375);
  });
});

describe('failures become problems naming the dependency', () => {
  const ctx = { provider: 'openai', model: 'm', attempts: 3 };
  it.each([
    ['timeout', undefined, 'llm-timeout', 504],
    ['rate-limited', 429, 'llm-unavailable', 503],
    ['overloaded', 503, 'llm-unavailable', 503],
    ['connection', undefined, 'llm-unavailable', 503],
    ['server', 500, 'llm-failed', 502],
    ['rejected', 401, 'llm-failed', 502],
    ['bad-response', undefined, 'llm-failed', 502],
  ] as const)('%s -> %s', (kind, status, problem, httpStatus) => {
    const p = problemFromFailure(new LlmCallError(kind, 'boom', { status, retryAfterMs: 2500 }), ctx);
    expect(p.kind).toBe(problem);
    expect(p.status).toBe(httpStatus);
    expect(p.extensions).toMatchObject({ dependency: 'llm', provider: 'openai', model: 'm', attempts: 3 });
    if (problem === 'llm-unavailable' && kind !== 'connection') expect(p.retryAfter).toBe(3);
  });
});
