/** Request and answer shapes of /v1/jobs, /v1/batch and /v1/hooks/{source} (validation and OpenAPI). */
import { z } from '@hono/zod-openapi';
import { ProblemSchema, RecognizeAnswerSchema, RecognizeRequestSchema } from '../../../shared/api/schemas';

export const MAX_BATCH_ITEMS = 100;

// Its length (at most 2048) is checked with the other URL rules, as callback-url-refused.
const callbackUrl = z.string().min(1).openapi({
  description: 'Where the outcome is POSTed, signed per Standard Webhooks with your key\'s webhook secret. https only, at most 2048 '
    + 'characters; IP-literal, localhost and local-only hosts are refused. Omit it to poll `status_url` instead.',
  example: 'https://example.com/hooks/gmner',
});

export const JobRequestSchema = RecognizeRequestSchema.extend({ callback_url: callbackUrl.optional() }).strict().openapi('JobRequest');

export const BatchRequestSchema = z
  .object({
    items: z.array(JobRequestSchema).min(1).max(MAX_BATCH_ITEMS).openapi({ description: `1 to ${MAX_BATCH_ITEMS} posts; one job (and one callback) each.` }),
    callback_url: callbackUrl.optional().openapi({ description: 'The callback of every item that names none itself.' }),
  })
  .strict()
  .openapi('BatchRequest');

export const JobStatusSchema = z.enum(['queued', 'running', 'delivering', 'succeeded', 'failed']).openapi({
  description: '`queued` (waiting for the consumer; also between retries of a failed attempt), `running` (the pipeline), '
    + '`delivering` (the outcome is stored and readable here; the callback is not yet acknowledged), '
    + '`succeeded` (result stored and callback acknowledged, or none asked for), `failed` (the pipeline failed for good, '
    + 'or the last attempt was used up: see `error`; `result` stays readable when only the callback failed).',
});

export const JobAcceptedSchema = z
  .object({
    id: z.string().openapi({ example: 'job_4f9c2d1e8b7a6f5e4d3c2b1a09f8e7d6' }),
    status: JobStatusSchema,
    status_url: z.string().openapi({ description: 'GET it (with the same key) for the status and the result.' }),
  })
  .openapi('JobAccepted');

export const BatchAcceptedSchema = z
  .object({
    id: z.string().openapi({ example: 'bat_0f1e2d3c4b5a69788796a5b4c3d2e1f0' }),
    jobs: z.array(JobAcceptedSchema).openapi({ description: 'One job per item, in the order of `items`.' }),
  })
  .openapi('BatchAccepted');

export const CallbackStateSchema = z
  .object({
    url: z.string(),
    webhook_id: z.string().openapi({ description: 'The `webhook-id` of the callback: the same on every attempt (de-duplicate on it).' }),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_status: z.number().int().nullable().openapi({ description: 'HTTP status of the latest attempt; null: no answer (timeout, network).' }),
    last_error: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
  })
  .openapi('CallbackState');

// `.nullable()` on a registered schema comes out as `allOf: [$ref, {type: [object, null]}]` (or a bare
// $ref), which admits no null; a union comes out as `anyOf: [$ref, {type: null}]`, which does.
const orNull = <T extends z.ZodTypeAny>(schema: T) => z.union([schema, z.null()]);

export const JobSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    status_url: z.string(),
    origin: z.string().openapi({ description: '`jobs`, `batch`, or `hook:<source>`.' }),
    batch_id: z.string().nullable(),
    batch_index: z.number().int().nullable(),
    attempts: z.number().int().openapi({ description: 'Pipeline runs started (a transient failure is retried).' }),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable().openapi({ description: 'When the outcome (result or error) was stored.' }),
    updated_at: z.string(),
    callback: orNull(CallbackStateSchema),
    result: orNull(RecognizeAnswerSchema).openapi({ description: 'The /v1/recognize answer, once the pipeline succeeded.' }),
    error: orNull(ProblemSchema).openapi({ description: 'Why the job failed (or will fail: a permanent pipeline failure being delivered).' }),
    last_error: orNull(ProblemSchema).openapi({ description: 'The latest transient failure, while attempts remain.' }),
  })
  .openapi('Job');

/** What an upstream system POSTs to /v1/hooks/{source}: a Standard Webhooks event whose `data` is a job request. */
export const HookPayloadSchema = z
  .object({
    type: z.string().min(1).max(200).openapi({ example: 'post.created' }),
    timestamp: z.string().optional(),
    data: JobRequestSchema,
  })
  .openapi('HookPayload');

export type JobRequest = z.infer<typeof JobRequestSchema>;
export type JobStatus = z.infer<typeof JobStatusSchema>;
export type Job = z.infer<typeof JobSchema>;
