/** POST /v1/jobs, POST /v1/batch and GET /v1/jobs/{id}: asynchronous recognition with signed callbacks. */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RouteCosts } from '../accounts';
import { RecognizeFormSchema } from '../../../shared/api/schemas';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv } from '../env';
import { fieldErrors, validationError } from '../problem';
import { createRouter, problemDoc } from '../router';
import { parseRecognizeRequest } from '../recognize';
import {
  BatchAcceptedSchema, BatchRequestSchema, JobAcceptedSchema, JobRequestSchema, JobSchema, MAX_BATCH_ITEMS,
} from './schemas';
import { getJob, jobView, jobsDb, newBatchId, JOB_ID_PATTERN } from './store';
import { loadResult } from './results';
import { itemOf, storedInput, submitJobs, type JobItem } from './submit';


const submitResponses = {
  413: problemDoc('Body too large, or a job request over JOB_MAX_INPUT_BYTES (`image-too-large`: send image.url)'),
  415: problemDoc('Unsupported media type'),
  422: problemDoc('Validation failed (`validation`), or a callback URL refused (`callback-url-refused`)'),
  503: problemDoc('The job queue or job store is unavailable (`jobs-unavailable`)'),
};

const postJob = createRoute({
  method: 'post',
  path: '/v1/jobs',
  tags: ['jobs'],
  summary: 'Recognize a post asynchronously; the outcome is POSTed to callback_url and kept for GET status_url.',
  description: 'Takes the body of /v1/recognize plus `callback_url` (JSON, or a multipart field). The job is queued and '
    + 'answered 202 at once. Its outcome is a Standard Webhooks event (`job.succeeded` with `data.result`, or `job.failed` '
    + 'with `data.error`), signed with the key\'s webhook secret; a callback that is not answered 2xx within the timeout is '
    + 'retried with growing delays under the same `webhook-id`. Its unit is reserved against the quota when it is accepted (429 `quota-exceeded` when none is left) and billed when it runs.',
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/JobRequest' } },
        'multipart/form-data': { schema: { $ref: '#/components/schemas/JobForm' } },
      },
    },
  },
  responses: {
    202: {
      description: 'Queued (also in `Location`)',
      content: { 'application/json': { schema: JobAcceptedSchema } },
    },
    ...submitResponses,
  },
});

const postBatch = createRoute({
  method: 'post',
  path: '/v1/batch',
  tags: ['jobs'],
  summary: `Up to ${MAX_BATCH_ITEMS} posts as one job each (one callback each).`,
  description: 'All or nothing: an invalid item (pointer `#/items/<i>/...`) refuses the whole batch. The batch reserves one unit per item against the quota when it is accepted (429 `quota-exceeded` unless all fit); each job is billed when it runs.',
  request: { body: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchRequest' } } } } },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: BatchAcceptedSchema } } },
    ...submitResponses,
  },
});

const getJobRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'A job of the calling key: its status, callback deliveries, and its result or error.',
  request: { params: z.object({ id: z.string().openapi({ example: 'job_4f9c2d1e8b7a6f5e4d3c2b1a09f8e7d6' }) }) },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } },
    404: problemDoc('No such job for this key (`job-not-found`)'),
  },
});

/**
 * Both bill when their jobs run (`metering` null here). A batch reserves what it may cost at admission: one
 * unit per item. Reserving it at once, not 1 at admission and the rest later, keeps concurrent batches from
 * each holding a unit that the others need to grow into (20 batches of 2 against a quota of 10 were all
 * refused, none billed). The route still confirms the count after validation (`reserveUnits`); a body that
 * does not parse reserves 1 and is refused there.
 */
export const jobCosts: RouteCosts = {
  [postJob.getRoutingPath()]: { reserve: () => 1, billsAnswer: false },
  [postBatch.getRoutingPath()]: { reserve: batchItems, billsAnswer: false },
};

async function batchItems(c: Context<AppEnv>): Promise<number> {
  try {
    const items = ((await c.req.json()) as { items?: unknown }).items;
    return Array.isArray(items) ? Math.min(Math.max(items.length, 1), MAX_BATCH_ITEMS) : 1;
  } catch {
    return 1;
  }
}

export const jobs = createRouter();
jobs.openAPIRegistry.register('JobRequest', JobRequestSchema);
jobs.openAPIRegistry.register('BatchRequest', BatchRequestSchema);
jobs.openAPIRegistry.register('JobForm', RecognizeFormSchema.extend({ callback_url: z.string().optional() }).openapi('JobForm'));

jobs.openapi(postJob, async (c) => {
  const item = await parseJobRequest(c);
  const [accepted] = await submitJobs(c.env, { keyId: c.get('apiKey').id, origin: 'jobs', statusBase: c.req.url, holds: c.get('jobHolds') }, [item]);
  c.set('metering', null); // billed when the job runs
  c.header('location', accepted.status_url);
  return c.json(accepted, 202);
});

jobs.openapi(postBatch, async (c) => {
  if (contentType(c) !== 'application/json') throw validationError([{ pointer: '#', detail: 'A batch is a JSON body: {"items": [...]}' }]);
  const checked = BatchRequestSchema.safeParse(await readJson(c));
  if (!checked.success) throw validationError(fieldErrors(checked.error));
  const batchId = newBatchId();
  const items = checked.data.items.map((req, i) => itemOf(req, `#/items/${i}`, checked.data.callback_url));
  // A batch can cost one unit per item: all of them fit in the quota, or the batch is refused (429).
  await c.get('reserveUnits')?.(items.length);
  const accepted = await submitJobs(c.env, { keyId: c.get('apiKey').id, origin: 'batch', batchId, statusBase: c.req.url, holds: c.get('jobHolds') }, items);
  c.set('metering', null);
  return c.json({ id: batchId, jobs: accepted }, 202);
});

jobs.openapi(getJobRoute, async (c) => {
  const id = c.req.valid('param').id;
  const job = JOB_ID_PATTERN.test(id) ? await getJob(jobsDb(c.env), id) : null;
  // Another key's job does not exist for this caller.
  if (!job || job.key_id !== c.get('apiKey').id) throw new ProblemError('job-not-found', `No job ${id.slice(0, 100)} for this API key.`);
  return c.json(jobView(job, await loadResult(c.env, job)), 200);
});

/** The body's media type, as the body middleware (app.ts) parsed and admitted it. */
const contentType = (c: Context<AppEnv>) => c.get('mediaType');

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (e) {
    throw validationError([{ pointer: '#', detail: `Malformed JSON: ${(e as Error).message}` }]);
  }
}

/** The /v1/recognize body (JSON or multipart) plus callback_url. */
async function parseJobRequest(c: Context<AppEnv>): Promise<JobItem> {
  if (contentType(c) === 'application/json') {
    const checked = JobRequestSchema.safeParse(await readJson(c));
    if (!checked.success) throw validationError(fieldErrors(checked.error));
    return itemOf(checked.data, '#');
  }
  const call = await parseRecognizeRequest(c);
  const callback = (await c.req.formData()).get('callback_url');
  if (callback !== null && typeof callback !== 'string') throw validationError([{ pointer: '#/callback_url', detail: 'Must be a string field' }]);
  return { input: storedInput(call), callbackUrl: callback, pointer: '#' };
}
