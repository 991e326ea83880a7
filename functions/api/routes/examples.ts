/**
 * OpenAPI examples for every route, the callback events as OpenAPI 3.1 `webhooks`, and the Server-Sent
 * Events of /v1/recognize, added to the registry after every route is registered (app.ts), so the
 * route files keep to behaviour. test/node/openapi-examples.test.ts validates every example against the
 * schema it illustrates, so an example cannot drift from the API's shape unnoticed.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ProblemSchema, RecognizeAnswerSchema } from '../../../shared/api/schemas';
import { rleFromCounts } from '../../../shared/vision/rle';
import { STAGE_KINDS } from '../../../shared/pipeline/contracts';
import type { AppEnv } from '../env';

const TEXT = 'RT @ hoopsdaily : Kevin Durant arrives at Chase Center # NBA';
const JOB = 'job_4f9c2d1e8b7a6f5e4d3c2b1a09f8e7d6';
const REQUEST = { text: TEXT, image: { url: 'https://example.com/photo.jpg' }, options: { labels: 'gmner', masks: true } };

/** A rectangle as COCO RLE (column-major runs), so the example mask decodes to what its box says. */
function rectangleMask(h: number, w: number, x1: number, y1: number, x2: number, y2: number) {
  const counts: number[] = [x1 * h + y1];
  for (let x = x1; x < x2; x++) counts.push(y2 - y1, x === x2 - 1 ? (w - x2) * h + (h - y2) : h - (y2 - y1));
  return { ...rleFromCounts([h, w], counts), area: (x2 - x1) * (y2 - y1), score: 0.94 };
}

function answerExample() {
  const durant = {
    text: 'Kevin Durant', start: 18, end: 30, type: 'PER', fine_type: null,
    expansion: 'Kevin Durant(PER)-an American basketball player',
    groundable: true, entailment_score: 0.91,
    box: { x1: 212, y1: 40, x2: 530, y2: 683, score: 0.62 },
    mask: rectangleMask(683, 1024, 212, 40, 530, 683),
  };
  const center = {
    text: 'Chase Center', start: 42, end: 54, type: 'LOC', fine_type: null,
    expansion: 'Chase Center(LOC)-an indoor arena in San Francisco',
    groundable: false, entailment_score: 0.12, box: null, mask: null,
  };
  const stage = (s: string, model: string) => ({ stage: s, configured: true, provider: 'onnx', model, placement: 'in-process', loaded: true });
  return {
    id: '8f1e2d3c4b5a6978-SJC',
    image: { width: 1024, height: 683, format: 'jpeg' },
    entities: [durant, center],
    dropped: [],
    models: {
      recognize: { stage: 'recognize', configured: true, provider: 'openai', model: 'gpt-4o-mini', placement: null, loaded: null },
      entail: stage('entail', 'mobileclip-s0'), ground: stage('ground', 'owlvit-b32'), segment: stage('segment', 'slimsam-77'),
    },
    timings_ms: { intake: 41, recognize: 1380, entail_prepare: 95, entail: 30, ground: 410, segment: 120, total: 1990 },
    usage: { llm_calls: 1, prompt_tokens: 1127, completion_tokens: 69, total_tokens: 1196 },
    warnings: [],
  };
}

const problem = (slug: string, title: string, status: number, detail: string, extra: object = {}) => ({
  type: `https://gmner.dev/problems/${slug}`, title, status, detail, request_id: '8f1e2d3c4b5a6978-SJC', ...extra,
});
const PROBLEMS: Record<string, object> = {
  401: problem('unauthorized', 'Unauthorized', 401, 'Send an API key as Authorization: Bearer <key>.'),
  404: problem('job-not-found', 'Job not found', 404, `No job ${JOB} for this key.`),
  422: problem('validation', 'Validation failed', 422, 'The request has 1 invalid field.', { errors: [{ pointer: '#/text', detail: 'Required: a non-empty string' }] }),
  429: problem('rate-limited', 'Rate limited', 429, 'Over 60 requests in 60 s for this key; retry after 12 s.'),
  502: problem('llm-failed', 'LLM failed', 502, 'The LLM provider answered 500 three times.', { dependency: 'llm' }),
  503: problem('llm-not-configured', 'LLM not configured', 503, 'Set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL.', { missing: ['LLM_BASE_URL'] }),
};

function streamExample(answer: ReturnType<typeof answerExample>): string {
  const pending = answer.entities.map((e) => ({ ...e, groundable: null, entailment_score: null, box: null, mask: null }));
  const frames: [string, unknown][] = [
    ['entities', { entities: pending, dropped: [] }],
    ['entity', { stage: 'entail', index: 0, entity: { ...pending[0], groundable: true, entailment_score: 0.91 } }],
    ['entity', { stage: 'entail', index: 1, entity: { ...pending[1], groundable: false, entailment_score: 0.12 } }],
    ['entity', { stage: 'ground', index: 0, entity: { ...answer.entities[0], mask: null } }],
    ['entity', { stage: 'segment', index: 0, entity: answer.entities[0] }],
    ['answer', answer],
  ];
  return frames.map(([event, data], i) => `id: ${i + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}

const StreamEntitiesSchema = z
  .object({ entities: z.array(z.any().openapi({ $ref: '#/components/schemas/Entity' } as never)), dropped: z.array(z.any()) })
  .openapi('StreamEntitiesEvent', { description: '`event: entities`, once, after the LLM: every entity with its vision fields still null.' });
const StreamEntitySchema = z
  .object({ stage: z.enum(STAGE_KINDS), index: z.number().int(), entity: z.any().openapi({ $ref: '#/components/schemas/Entity' } as never) })
  .openapi('StreamEntityEvent', { description: '`event: entity`, each time a stage fills entity `index`: entail (groundable, entailment_score), ground (box), segment (mask).' });

const SSE_DESCRIPTION = 'Server-Sent Events (with `Accept: text/event-stream`), each with an increasing `id`: '
  + '`entities` (StreamEntitiesEvent) once after the LLM; `entity` (StreamEntityEvent) each time a stage fills an entity; then '
  + '`answer` (RecognizeAnswer, exactly the JSON answer) or `error` (Problem) if the pipeline fails after the first event, and the stream ends. '
  + 'A failure before the first event is an ordinary problem+json answer. `: keep-alive` comment lines come every 15 s.';

const CallbackEventSchema = z
  .object({
    type: z.enum(['job.succeeded', 'job.failed']),
    timestamp: z.string(),
    data: z.object({
      id: z.string(),
      status: z.enum(['succeeded', 'failed']),
      origin: z.string(),
      batch_id: z.string().nullable(),
      batch_index: z.number().int().nullable(),
      status_url: z.string(),
      result: RecognizeAnswerSchema.optional(),
      error: ProblemSchema.optional(),
      result_omitted: z.literal('too-large').optional().openapi({ description: 'Instead of `result`/`error` when the event would exceed CALLBACK_MAX_BYTES: GET status_url.' }),
    }),
  })
  .openapi('CallbackEvent');

type Content = Record<string, { example?: unknown; schema?: unknown }>;
type Route = { method: string; path: string; request?: { body?: { content: Content } }; responses: Record<string, { content?: Content; description: string }> };

export function documentExamples(app: OpenAPIHono<AppEnv>): void {
  const answer = answerExample();
  const accepted = { id: JOB, status: 'queued', status_url: `https://api.example.com/v1/jobs/${JOB}` };
  const job = {
    ...accepted, status: 'succeeded', origin: 'jobs', batch_id: null, batch_index: null, attempts: 1,
    created_at: '2026-12-01T10:00:00.000Z', started_at: '2026-12-01T10:00:00.250Z', finished_at: '2026-12-01T10:00:02.300Z', updated_at: '2026-12-01T10:00:02.410Z',
    callback: {
      url: 'https://example.com/hooks/gmner', webhook_id: `msg_${JOB}`, status: 'delivered', attempts: 1, last_status: 200, last_error: null,
      last_attempt_at: '2026-12-01T10:00:02.400Z', delivered_at: '2026-12-01T10:00:02.410Z',
    },
    result: answer, error: null, last_error: null,
  };
  const jobRequest = { ...REQUEST, callback_url: 'https://example.com/hooks/gmner' };
  const form = { text: TEXT, image: '(the image file)', options: '{"labels":"gmner","masks":true}' };
  const examples: Record<string, { request?: Record<string, unknown>; answer: Record<string, unknown> }> = {
    'get /healthz': { answer: { 'application/json': { status: 'ok', version: '0.1.0' } } },
    'get /v1/models': { answer: { 'application/json': { stages: Object.values(answer.models) } } },
    'post /v1/recognize': {
      request: { 'application/json': REQUEST, 'multipart/form-data': form },
      answer: { 'application/json': answer, 'text/event-stream': streamExample(answer) },
    },
    'get /v1/usage': {
      answer: {
        'application/json': {
          key: { id: 'key_1a2b3c4d5e6f7a8b', name: 'me', quota: 1000 }, from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z',
          totals: { requests: 1, units: 1, llm_tokens: 1196, model_ms: 1940 },
          records: [{ id: 'use_01', request_id: answer.id, client_request_id: 'my-trace-7', route: 'POST /v1/recognize', units: 1, llm_tokens: 1196, model_ms: 1940, status: 200, outcome: 'ok', created_at: '2026-12-01T10:00:02.000Z' }],
          next_cursor: null,
        },
      },
    },
    'post /v1/jobs': { request: { 'application/json': jobRequest, 'multipart/form-data': { ...form, callback_url: jobRequest.callback_url } }, answer: { 'application/json': accepted } },
    'post /v1/batch': {
      request: { 'application/json': { items: [REQUEST, { ...REQUEST, text: 'Chase Center tonight # NBA' }], callback_url: jobRequest.callback_url } },
      answer: { 'application/json': { id: 'bat_0f1e2d3c4b5a69788796a5b4c3d2e1f0', jobs: [accepted, { ...accepted, id: 'job_5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d', status_url: 'https://api.example.com/v1/jobs/job_5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d' }] } },
    },
    'get /v1/jobs/{id}': { answer: { 'application/json': job } },
    'get /v1/vision/manifest': { answer: { 'application/json': visionManifestExample() } },
    'get /v1/models/{id}/files/{name}': { answer: { 'application/octet-stream': '(the file\'s bytes; ETag: "<its SHA-256>")' } },
    'post /v1/hooks/{source}': { request: { 'application/json': { type: 'post.created', timestamp: '2026-12-01T10:00:00Z', data: jobRequest } }, answer: { 'application/json': accepted } },
  };

  app.openAPIRegistry.register('StreamEntitiesEvent', StreamEntitiesSchema);
  app.openAPIRegistry.register('StreamEntityEvent', StreamEntitySchema);
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const r = def.route as unknown as Route;
    const ex = examples[`${r.method} ${r.path}`];
    if (!ex) continue;
    for (const [type, example] of Object.entries(ex.request ?? {})) {
      const c = r.request?.body?.content[type];
      if (c) r.request!.body!.content[type] = { ...c, example };
    }
    for (const [status, res] of Object.entries(r.responses)) {
      if (!res.content) continue;
      const content: Content = {};
      for (const [type, c] of Object.entries(res.content)) {
        const example = status.startsWith('2') ? ex.answer[type] : PROBLEMS[status];
        content[type] = type === 'text/event-stream' ? { schema: { type: 'string', description: SSE_DESCRIPTION }, example } : example === undefined ? c : { ...c, example };
      }
      r.responses[status] = { ...res, content };
    }
  }

  app.openAPIRegistry.registerWebhook({
    method: 'post',
    path: 'job-callback',
    tags: ['jobs'],
    summary: 'The outcome of a job, POSTed to its callback_url (Standard Webhooks).',
    description: 'Signed with your API key\'s webhook secret (`whsec_…`): `webhook-signature: v1,<base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body">`. '
      + 'Verify with any Standard Webhooks library, e.g. `new Webhook(secret).verify(rawBody, headers)`. Delivery is at least once: de-duplicate on `webhook-id`. '
      + 'Anything but 2xx within CALLBACK_TIMEOUT_MS is retried with growing delays (a longer Retry-After wins); 410 Gone stops at once.',
    request: {
      headers: z.object({
        'webhook-id': z.string().openapi({ example: `msg_${JOB}`, description: 'Stable for the job.' }),
        'webhook-timestamp': z.string().openapi({ example: '1764583202', description: 'Unix seconds of this attempt.' }),
        'webhook-signature': z.string().openapi({ example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' }),
      }),
      body: {
        content: {
          'application/json': {
            schema: CallbackEventSchema,
            examples: {
              succeeded: { value: { type: 'job.succeeded', timestamp: job.finished_at, data: { id: JOB, status: 'succeeded', origin: 'jobs', batch_id: null, batch_index: null, status_url: accepted.status_url, result: answer } } },
              failed: { value: { type: 'job.failed', timestamp: job.finished_at, data: { id: JOB, status: 'failed', origin: 'jobs', batch_id: null, batch_index: null, status_url: accepted.status_url, error: PROBLEMS[502] } } },
            },
          },
        },
      },
    },
    responses: {
      200: { description: 'Any 2xx acknowledges the event.' },
      410: { description: 'Gone: stop delivering this job\'s callback.' },
    },
  });
}

/** An abridged GET /v1/vision/manifest (MODEL_SET=fixtures): one entry shown of those the stages use. */
function visionManifestExample() {
  const sha = '4f2a9c1e6b0d8a7f3e5c2b1a09d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0';
  return {
    set: 'fixtures',
    config: {
      entail: { visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', cacheSize: 4 },
      ground: { provider: 'onnx', imageModel: 'owlvit-b32-image', queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 4 },
      segment: { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 },
    },
    entries: [{ id: 'mobileclip-s0-text', set: 'fixtures', role: 'entail.text', files: [{ key: 'fixtures/mobileclip-s0-text.onnx', bytes: 422, sha256: sha, origin: null }] }],
    files: {
      'fixtures/mobileclip-s0-text.onnx': { sha256: sha, bytes: 422, url: '/v1/models/mobileclip-s0-text/files/mobileclip-s0-text.onnx' },
      'fixtures/tokenizer.json': { sha256: sha, bytes: 20311, url: '/v1/models/mobileclip-s0-text/files/tokenizer.json' },
    },
    notes: [],
  };
}
