/**
 * Jobs and webhooks: POST /v1/jobs, POST /v1/batch, GET /v1/jobs/{id} (routes.ts), POST /v1/hooks/{source}
 * (hooks.ts), the queue consumers (consumer.ts), Standard Webhooks signing (signing.ts). Job state lives in
 * D1 (store.ts, infra/migrations/0100_jobs.sql); the queue message carries only the job id.
 */
export { jobCosts, jobs } from './routes';
export { hooks, HOOKS_PREFIX } from './hooks';
export { handleQueue, handleJobs, handleDeadLetters, JOBS_QUEUE, JOBS_DEAD_LETTER_QUEUE } from './consumer';
export { signWebhook, verifyWebhook } from './signing';
export { checkCallbackUrl } from './callback-url';
export { handleScheduled, purgeJobs, sweepJobs } from './maintenance';
