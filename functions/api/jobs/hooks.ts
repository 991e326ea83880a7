/**
 * POST /v1/hooks/{source}: an upstream system's Standard Webhooks event turned into a job.
 *
 * Not behind the Bearer-key middleware: the signature is the authentication. Configuration per source
 * (`<SOURCE>` = the path segment upper-cased, `-` as `_`):
 *   HOOK_SECRET_<SOURCE>        the source's signing secret(s), `whsec_...`, space-separated during rotation (a Worker secret)
 *   HOOK_KEY_<SOURCE>           the API key id (`key_...`) its jobs belong to: billed to it, called back signed with its webhook secret
 *   HOOK_CALLBACK_URL_<SOURCE>  optional: the callback of events whose `data` names none
 * Order of checks: source known -> body within HOOK_MAX_BODY_BYTES -> headers -> timestamp within 5 min ->
 * at most 5 signatures, one MAC per secret over the raw body -> payload -> the source key's rate limit and
 * one unit of its quota (held for the job, as for POST /v1/jobs) -> `webhook-id` not seen before for this
 * source (D1, atomically with the job row) -> queued, 202.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ProblemError } from '../../../shared/problems';
import type { Context } from 'hono';
import type { ApiBindings, AppEnv } from '../env';
import { fieldErrors, validationError } from '../problem';
import { createRouter, problemDoc } from '../router';
import { jobHoldsOf, meterFor, refusal, type Admission } from '../accounts';
import { accountingConfig, limitHeaders } from '../accounts/limits';
import { envFamilyString } from '../../../shared/config';
import { jobsConfig } from './config';
import { HookPayloadSchema, JobAcceptedSchema } from './schemas';
import { verifyWebhook } from './signing';
import { jobsDb, keySecret } from './store';
import { itemOf, submitJobs } from './submit';

export const HOOKS_PREFIX = '/v1/hooks/';
const SOURCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;


const route = createRoute({
  method: 'post',
  path: '/v1/hooks/{source}',
  tags: ['jobs'],
  summary: 'Receive a signed webhook from an upstream system and queue its post as a job.',
  description: 'Standard Webhooks: `webhook-id`, `webhook-timestamp` (within 5 minutes of now) and `webhook-signature` '
    + '(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the source\'s secret). The body is an event whose `data` is a '
    + '/v1/jobs request. Each `webhook-id` is accepted once per source; a replay is answered 409 with the job it created.',
  security: [],
  request: {
    params: z.object({ source: z.string().openapi({ example: 'cms' }) }),
    body: { required: true, content: { 'application/json': { schema: HookPayloadSchema } } },
  },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: JobAcceptedSchema } } },
    401: problemDoc('Missing headers, a timestamp outside 5 minutes, more than 5 signatures, or no matching signature (`webhook-signature`)'),
    404: problemDoc('No such source (`hook-source-unknown`)'),
    409: problemDoc('This webhook-id was already received from this source (`webhook-replayed`, with `job_id`)'),
    413: problemDoc('Body over HOOK_MAX_BODY_BYTES (`body-too-large`)'),
    429: problemDoc("Over the source key's rate limit (`rate-limited`) or monthly quota (`quota-exceeded`); with `Retry-After`"),
    503: problemDoc('The job queue or store (`jobs-unavailable`) or the rate limiter (`accounts-unavailable`) is unavailable'),
    422: problemDoc('The event is not a job request (`validation`), or its callback URL is refused (`callback-url-refused`)'),
  },
});

export interface HookSource {
  secrets: string[];
  keyId: string;
  callbackUrl: string | null;
}

export function hookSource(env: ApiBindings, source: string): HookSource | null {
  if (!SOURCE_PATTERN.test(source)) return null;
  const name = source.toUpperCase().replaceAll('-', '_');
  const secret = envFamilyString(env, 'HOOK_SECRET_<SOURCE>', name);
  const keyId = envFamilyString(env, 'HOOK_KEY_<SOURCE>', name);
  const callback = envFamilyString(env, 'HOOK_CALLBACK_URL_<SOURCE>', name);
  if (!secret) return null;
  if (!keyId) {
    console.error(JSON.stringify({ level: 'error', component: 'hooks', source, event: `HOOK_SECRET_${name} is set but HOOK_KEY_${name} is not: source refused` }));
    return null;
  }
  return { secrets: secret.split(/\s+/), keyId, callbackUrl: callback };
}

export const hooks = createRouter();
hooks.openapi(route, async (c) => {
  const source = c.req.param('source');
  const cfg = hookSource(c.env, source);
  if (!cfg) throw new ProblemError('hook-source-unknown', `No webhook source "${source.slice(0, 64)}" is configured.`);
  const jobsCfg = jobsConfig(c.env);
  const raw = await readBody(c, jobsCfg.hookMaxBodyBytes);
  const { id } = await verifyWebhook(cfg.secrets, { get: (n) => c.req.header(n) }, raw, jobsCfg.hookToleranceSeconds);

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw validationError([{ pointer: '#', detail: `Malformed JSON: ${(e as Error).message}` }]);
  }
  const checked = HookPayloadSchema.safeParse(json);
  if (!checked.success) throw validationError(fieldErrors(checked.error));

  const db = jobsDb(c.env);
  const key = await keySecret(db, cfg.keyId);
  if (!key || key.revoked_at) {
    console.error(JSON.stringify({ level: 'error', component: 'hooks', source, event: `HOOK_KEY for this source names ${key ? 'a revoked' : 'an unknown'} key ${cfg.keyId}: source refused` }));
    throw new ProblemError('hook-source-unknown', `No webhook source "${source}" is configured.`);
  }

  // Metered like a Bearer request of the source's key: its rate limit, and one unit of its quota held for the job.
  const meter = meterFor(c.env, cfg.keyId);
  const acct = accountingConfig(c.env);
  let a: Admission;
  try {
    a = (await meter.admit({ rateLimit: key.rate_limit ?? acct.rateLimit, rateWindowSeconds: acct.rateWindowSeconds, quota: key.quota, reserve: 1 })) as Admission;
  } catch (e) {
    throw new ProblemError('accounts-unavailable', 'The rate limiter did not answer; retry shortly.', { retryAfter: 1, cause: e });
  }
  if (a.outcome === 'rate-limited' || a.outcome === 'quota-exceeded') throw refusal(a);
  if (a.outcome !== 'admitted') throw new Error(`unexpected admission ${a.outcome}`);
  for (const [k, v] of Object.entries(limitHeaders(a.limits))) c.header(k, v);

  const received = new Date();
  let accepted;
  try {
    [accepted] = await submitJobs(c.env, {
      keyId: cfg.keyId,
      origin: `hook:${source}`,
      statusBase: c.req.url,
      holds: jobHoldsOf(meter, a.admission),
      alongside: (d, jobId) => ({
        // The primary key makes a second delivery of this id fail the whole transaction: no second job.
        write: [
          d.prepare('DELETE FROM hook_deliveries WHERE received_at < ?').bind(new Date(received.getTime() - 3_600_000).toISOString()),
          d.prepare('INSERT INTO hook_deliveries (source, webhook_id, job_id, received_at) VALUES (?, ?, ?, ?)').bind(source, id, jobId, received.toISOString()),
        ],
        undo: [d.prepare('DELETE FROM hook_deliveries WHERE source = ? AND webhook_id = ?').bind(source, id)],
      }),
    }, [itemOf(checked.data.data, '#/data', cfg.callbackUrl)]);
  } catch (e) {
    // Nothing was queued: the unit goes back (a replayed id costs only its place in the rate window).
    await meter.settle({ admission: a.admission, units: 0 }).catch(() => undefined);
    if (!/UNIQUE constraint failed/i.test(String((e as Error)?.message))) throw e;
    const first = await db.prepare('SELECT job_id, received_at FROM hook_deliveries WHERE source = ? AND webhook_id = ?').bind(source, id).first<{ job_id: string; received_at: string }>();
    throw new ProblemError('webhook-replayed', `webhook-id ${id} from ${source} was already received${first ? ` at ${first.received_at} and queued as ${first.job_id}` : ''}; it is accepted once.`, {
      extensions: first ? { job_id: first.job_id } : {},
    });
  }
  c.header('location', accepted.status_url);
  return c.json(accepted, 202);
});

/**
 * The body as text, refused (413) past `max` bytes before any of it is hashed: by Content-Length when
 * sent, and by its size once read (the app-wide body limit, sized for images, bounds the reading).
 */
async function readBody(c: Context<AppEnv>, max: number): Promise<string> {
  const tooLarge = () => new ProblemError('body-too-large', `Webhook bodies are limited to ${max} bytes (HOOK_MAX_BODY_BYTES); send the image as image.url.`, { extensions: { limit_bytes: max } });
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > max) throw tooLarge();
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > max) throw tooLarge();
  return new TextDecoder().decode(bytes);
}
