/** The public Worker's entry: routes through Hono. */
import { createApp } from './app';
import type { ApiBindings } from './env';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<ApiBindings>;
