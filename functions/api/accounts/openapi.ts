/**
 * Documents the accounting path on every /v1 operation of the OpenAPI document: the Bearer security
 * requirement, the 401/429 (and, on POST, 400/409/422 Idempotency-Key) problems and the Idempotency-Key
 * header. Call after every router is mounted.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { problemDoc } from '../router';


export function documentAccounting(app: OpenAPIHono<AppEnv>): void {
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route' || !def.route.path.startsWith('/v1/')) continue;
    const r = def.route;
    r.security ??= [{ Bearer: [] }];
    r.responses['401'] ??= problemDoc('No API key, an unknown one (`unauthorized`) or a revoked one (`key-revoked`); with `WWW-Authenticate: Bearer`');
    r.responses['429'] ??= problemDoc('Over the rate limit (`rate-limited`) or the monthly quota (`quota-exceeded`); with `Retry-After`, `RateLimit` and `RateLimit-Policy`');
    if (r.method !== 'post') continue;
    const op = r as { parameters?: unknown[] };
    op.parameters = [
      ...(op.parameters ?? []),
      {
        name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
        description: 'Up to 255 printable ASCII characters (a UUID is recommended). The same key with the same request replays the stored answer for 24 h (`Idempotent-Replayed: true`); with a different request it answers 422; while the first is still running, 409.',
      },
    ];
    r.responses['400'] ??= problemDoc('Malformed Idempotency-Key (`idempotency-key-invalid`)');
    r.responses['409'] ??= problemDoc('A request with this Idempotency-Key is still in flight (`idempotency-conflict`)');
    const existing422 = r.responses['422'];
    if (existing422 && 'description' in existing422 && typeof existing422.description === 'string' && !existing422.description.includes('idempotency')) {
      existing422.description += '; or an Idempotency-Key reused with a different request (`idempotency-mismatch`)';
    } else {
      r.responses['422'] ??= problemDoc('Idempotency-Key reused with a different request (`idempotency-mismatch`)');
    }
  }
}
