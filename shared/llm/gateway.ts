/**
 * Cloudflare AI Gateway request headers (`cf-aig-cache-ttl`, `cf-aig-metadata`: https://developers.cloudflare.com/ai-gateway/features/caching/,
 * https://developers.cloudflare.com/ai-gateway/glossary/). The gateway is transparent to the
 * OpenAI wire format, so these are the only difference between calling a provider directly and
 * through a gateway: a cache TTL, and metadata that ties the gateway's log line to our request id.
 */
import type { LlmConfig } from './config';

export function gatewayHeaders(cfg: Pick<LlmConfig, 'gatewayCacheTtl' | 'gatewayMetadata'>, requestId?: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (cfg.gatewayCacheTtl !== null) h['cf-aig-cache-ttl'] = String(cfg.gatewayCacheTtl);
  if (cfg.gatewayMetadata && requestId) h['cf-aig-metadata'] = JSON.stringify({ request_id: requestId });
  return h;
}

/** The Workers AI binding's equivalent: the `gateway` option of `env.AI.run`. */
export function gatewayRunOptions(cfg: Pick<LlmConfig, 'gatewayId' | 'gatewayCacheTtl' | 'gatewayMetadata'>, requestId?: string): Record<string, unknown> | undefined {
  if (!cfg.gatewayId) return undefined;
  return {
    gateway: {
      id: cfg.gatewayId,
      ...(cfg.gatewayCacheTtl !== null ? { cacheTtl: cfg.gatewayCacheTtl } : {}),
      ...(cfg.gatewayMetadata && requestId ? { metadata: { request_id: requestId } } : {}),
    },
  };
}
