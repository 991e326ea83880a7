import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { PROBLEM_BASE } from '../../shared/problems';
import type { AppEnv } from './env';

/**
 * One structured JSON line per request: what an operator needs to find one request (by the `x-request-id`
 * the client saw, or by key) and see why it ended as it did: key, route pattern, status, problem type and
 * the stage timings the route recorded. Workers Logs indexes these fields (wrangler.toml [observability]).
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const status = c.res.status;
    console.log(JSON.stringify({
      level: status >= 500 ? 'error' : 'info',
      request_id: c.get('requestId'),
      ...(c.get('clientRequestId') ? { client_request_id: c.get('clientRequestId') } : {}),
      key_id: c.get('apiKey')?.id ?? null,
      method: c.req.method,
      route: routePath(c, -1),
      path: c.req.path,
      status,
      problem: status >= 400 ? await problemType(c.res) : null,
      duration_ms: Math.round(performance.now() - start),
      ...(c.get('timings') ? { timings_ms: c.get('timings') } : {}),
    }));
  };
}

/** The problem type slug of a problem+json answer (bodies of a few hundred bytes), read from a copy. */
async function problemType(res: Response): Promise<string | null> {
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) return null;
  try {
    const type = ((await res.clone().json()) as { type?: unknown }).type;
    return typeof type === 'string' ? type.replace(PROBLEM_BASE, '') : null;
  } catch {
    return null;
  }
}
