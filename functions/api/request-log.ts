import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';

/** One structured JSON line per request, with the stage timings the route recorded. */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    console.log(JSON.stringify({
      level: c.res.status >= 500 ? 'error' : 'info',
      request_id: c.get('requestId'),
      ...(c.get('clientRequestId') ? { client_request_id: c.get('clientRequestId') } : {}),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round(performance.now() - start),
      ...(c.get('timings') ? { timings_ms: c.get('timings') } : {}),
    }));
  };
}
