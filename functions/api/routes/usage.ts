import { createRoute, z } from '@hono/zod-openapi';
import { monthOf } from '../accounts/limits';
import { accountsDb, decodeCursor, queryUsage } from '../accounts/usage';
import { validationError } from '../problem';
import { createRouter, problemDoc } from '../router';

const instant = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'An ISO 8601 date (2026-11-01) or date-time (2026-11-01T12:00:00Z)',
});

const UsageRecordSchema = z
  .object({
    id: z.string(),
    request_id: z.string().openapi({ description: "The answer's x-request-id." }),
    client_request_id: z.string().nullable().openapi({ description: 'The X-Request-Id the client sent with the request, if any (kept apart from ours).' }),
    route: z.string().openapi({ example: 'POST /v1/recognize' }),
    units: z.number().int().openapi({ description: 'Billable units: 1 per recognized post.' }),
    llm_tokens: z.number().int().openapi({ description: 'Prompt + completion tokens of the hosted LLM.' }),
    model_ms: z.number().int().openapi({ description: 'Summed stage time in models (LLM, entailment, grounding, segmentation), ms.' }),
    status: z.number().int(),
    outcome: z.string().openapi({ description: '`ok`, or the problem type slug of a client error.' }),
    created_at: z.string(),
  })
  .openapi('UsageRecord');

const UsageSchema = z
  .object({
    key: z.object({ id: z.string(), name: z.string(), quota: z.number().int().nullable() }),
    from: z.string(),
    to: z.string(),
    totals: z.object({ requests: z.number().int(), units: z.number().int(), llm_tokens: z.number().int(), model_ms: z.number().int() }),
    records: z.array(UsageRecordSchema),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .openapi('UsageReport');

const route = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['account'],
  summary: "The calling key's usage records in [from, to), oldest first, with totals over the whole range.",
  description: 'One record per billable request. Answers that failed through our fault (5xx) are not billed and have no record.',
  request: {
    query: z.object({
      from: instant.optional().openapi({ description: 'Inclusive; default: the start of the current month (UTC).' }),
      to: instant.optional().openapi({ description: 'Exclusive; default: now.' }),
      limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'Records per page.' }),
      cursor: z.string().max(500).optional(),
    }),
  },
  responses: {
    200: { description: 'Usage', content: { 'application/json': { schema: UsageSchema } } },
    422: problemDoc('Bad query'),
  },
});

export const usage = createRouter().openapi(route, async (c) => {
  const q = c.req.valid('query');
  const now = Date.now();
  const from = new Date(q.from ?? monthOf(now).start).toISOString();
  const to = new Date(q.to ?? now + 1).toISOString();
  if (from > to) throw validationError([{ pointer: '#/to', detail: '`to` must not be before `from`' }]);
  if (q.cursor !== undefined && !decodeCursor(q.cursor)) throw validationError([{ pointer: '#/cursor', detail: 'Not a cursor from a previous page' }]);
  const key = c.get('apiKey');
  const page = await queryUsage(accountsDb(c.env), key.id, { from, to, limit: q.limit, cursor: q.cursor });
  return c.json({ key: { id: key.id, name: key.name, quota: key.quota }, from, to, ...page }, 200);
});
