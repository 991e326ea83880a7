/**
 * The public API: middleware order is request id -> request log -> CORS -> body limit/media type ->
 * accounting on /v1 (Bearer key, rate limit and quota, Idempotency-Key, usage record; see
 * accounts/middleware.ts) -> route. Every failure leaves as RFC 9457 problem+json through `errorResponse`.
 */
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { envInt } from '../../shared/config';
import { mediaType } from '../../shared/media-type';
import { ProblemError } from '../../shared/problems';
import { accounting, documentAccounting, type RouteCosts } from './accounts';
import type { AppEnv } from './env';
import { HOOKS_PREFIX, hooks, jobCosts, jobs } from './jobs';
import { errorResponse, problemResponse } from './problem';
import { requestLog } from './request-log';
import { createRouter } from './router';
import { docs } from './routes/docs';
import { documentExamples } from './routes/examples';
import { health } from './routes/health';
import { models } from './routes/models';
import { recognize, recognizeCosts } from './recognize';
import { usage } from './routes/usage';

export const VERSION = '0.1.0';
const BODY_TYPES = ['application/json', 'multipart/form-data'];

/** What each POST route behind the Bearer key costs, as the route declares it (accounts/metering.ts). */
export const POST_COSTS: RouteCosts = { ...recognizeCosts, ...jobCosts };

export interface AppOptions {
  /** false only to measure the accounting path against the same app without it (scripts/measure-accounting.ts). */
  accounting?: boolean;
}

export function createApp(options: AppOptions = {}) {
  const app = createRouter();

  // Our request id is ours: Cloudflare's Ray ID (so our logs line up with the platform's) or a UUID, never
  // a client's X-Request-Id, which is kept apart as clientRequestId (logs, usage records).
  app.use('*', async (c, next) => {
    const client = c.req.header('x-request-id');
    if (client && client.length <= 255 && /^[\w\-=.:]+$/.test(client)) c.set('clientRequestId', client);
    return next();
  });
  app.use('*', requestId({ headerName: '', generator: (c) => c.req.header('cf-ray') ?? crypto.randomUUID() }));
  app.use('*', async (c, next) => {
    c.header('x-request-id', c.get('requestId'));
    return next();
  });
  app.use('*', requestLog());
  app.use('*', cors({ origin: '*', exposeHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy', 'idempotent-replayed'] }));
  app.use('/v1/*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = mediaType(c.req.header('content-type'));
    if (!type || !BODY_TYPES.includes(type)) {
      return problemResponse(c, 'unsupported-media-type', `Send the body as ${BODY_TYPES.join(' or ')}; got ${type ?? 'no Content-Type'}.`);
    }
    c.set('mediaType', type);
    const maxSize = envInt(c.env, 'MAX_BODY_BYTES');
    return bodyLimit({
      maxSize,
      onError: (c) => problemResponse(c, 'body-too-large', `The request body is larger than ${maxSize} bytes.`, { limit_bytes: maxSize }),
    })(c, next);
  });
  if (options.accounting !== false) {
    // Inbound webhooks authenticate by their signature (jobs/hooks.ts), not by a Bearer key.
    const accounts = accounting(POST_COSTS);
    app.use('/v1/*', (c, next) => (c.req.path.startsWith(HOOKS_PREFIX) ? next() : accounts(c, next)));
  }
  // Innermost, so the request log and the accounting see the 405 that replaces notFound's 404.
  app.use('*', methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allowed = methods.sort().join(', ');
      const res = problemResponse(c, 'method-not-allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed}.`);
      res.headers.set('allow', allowed);
      return res;
    },
  }));

  app.route('/', health);
  app.route('/', models);
  app.route('/', recognize);
  app.route('/', usage);
  app.route('/', jobs);

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });
  documentAccounting(app);
  app.route('/', hooks); // after documentAccounting: no Bearer key, no Idempotency-Key
  documentExamples(app);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'GMNER edge API',
      version: VERSION,
      description: 'Grounded multimodal named entity recognition: entities, their expansions, whether each is visible in the image, its box and mask (RiVEG method).',
    },
  });
  app.route('/', docs);

  app.notFound((c) => problemResponse(c, 'not-found', `No route ${c.req.method} ${c.req.path}. See /docs.`));
  app.onError((err, c) => errorResponse(c, err));
  return app;
}

export { ProblemError };
