import { createRoute, z } from '@hono/zod-openapi';
import { StageModelSchema } from '../../../shared/api/schemas';
import { createRouter } from '../router';
import { describeStages } from '../recognize';
import { modelFiles } from './model-files';

const route = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['service'],
  summary: "Each stage's configured model or provider, its placement, and whether it is loaded in this isolate.",
  responses: {
    200: { description: 'Stages', content: { 'application/json': { schema: z.object({ stages: z.array(StageModelSchema) }) } } },
  },
});

export const models = createRouter().openapi(route, async (c) => c.json({ stages: await describeStages(c.env) }, 200));
models.route('/', modelFiles);
