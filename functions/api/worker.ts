/** The api Worker's handlers, shared by both entries: index.ts (ORT in the isolate) and edge.ts (none). */
import { createApp } from './app';
import type { ApiBindings } from './env';
import { handleQueue, handleScheduled } from './jobs';

const app = createApp();

export const apiWorker = {
  fetch: app.fetch,
  // Jobs (gmner-jobs) and their dead letters (gmner-jobs-dlq): functions/api/jobs/consumer.ts.
  queue: handleQueue,
  // Cron Trigger (wrangler.toml [triggers]): re-enqueue stuck jobs, purge old ones (functions/api/jobs/maintenance.ts).
  scheduled: (controller, env, ctx) => ctx.waitUntil(handleScheduled(controller, env)),
} satisfies ExportedHandler<ApiBindings>;
