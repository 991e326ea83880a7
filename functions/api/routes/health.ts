import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['service'],
  summary: 'Liveness: the Worker answers. Loads no model and calls no upstream.',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), version: z.string() }) } } },
  },
});

export const health = createRouter().openapi(route, (c) => c.json({ status: 'ok' as const, version: '0.1.0' }, 200));
