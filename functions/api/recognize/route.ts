/** POST /v1/recognize: the OpenAPI route and its handler (JSON answer, or an event stream on request). */
import { createRoute } from '@hono/zod-openapi';
import { RecognizeAnswerSchema, RecognizeFormSchema, RecognizeRequestSchema } from '../../../shared/api/schemas';
import type { RouteCosts } from '../accounts';
import { createRouter, problemDoc } from '../router';
import { streamRecognize, wantsEventStream } from './event-stream';
import { parseRecognizeRequest } from './request';
import { runRecognition } from './run';


const route = createRoute({
  method: 'post',
  path: '/v1/recognize',
  tags: ['recognition'],
  summary: 'Named entities of a post with their expansion, groundability, box and (optionally) mask.',
  request: {
    body: {
      required: true,
      content: {
        // References, not zod schemas: with a required body zod-openapi would run the JSON and the form
        // validator on every request whatever its type. parseRequest() validates each type itself.
        'application/json': { schema: { $ref: '#/components/schemas/RecognizeRequest' } },
        'multipart/form-data': { schema: { $ref: '#/components/schemas/RecognizeForm' } },
      },
    },
  },
  responses: {
    200: {
      description: 'The entities; with `Accept: text/event-stream`, Server-Sent Events as the answer is made: `entities` after the LLM, '
        + '`entity` ({stage, index, entity}) as each stage fills one, then `answer` (this JSON) or `error` (a problem)',
      content: {
        'application/json': { schema: RecognizeAnswerSchema },
        'text/event-stream': { schema: { type: 'string' } },
      },
    },
    413: problemDoc('Body or image too large'),
    415: problemDoc('Unsupported media type (of the body or of the image)'),
    422: problemDoc('Validation failed'),
    502: problemDoc('An upstream dependency (LLM, image host, model store, vision stage) failed'),
    503: problemDoc('No LLM configured, or an upstream is unavailable'),
    504: problemDoc('An upstream dependency timed out'),
  },
});

/** One unit per answer, billed when it is settled (an event stream sets its own `metering`). */
export const recognizeCosts: RouteCosts = { [route.getRoutingPath()]: { reserve: () => 1, billsAnswer: true } };

export const recognize = createRouter();
recognize.openAPIRegistry.register('RecognizeRequest', RecognizeRequestSchema);
recognize.openAPIRegistry.register('RecognizeForm', RecognizeFormSchema);
recognize.openapi(route, async (c) => {
  const call = await parseRecognizeRequest(c);
  if (wantsEventStream(c.req.header('accept'))) return streamRecognize(c, call);
  const answer = await runRecognition(c.env, call, c.get('requestId'), c.req.raw.signal);
  c.set('timings', answer.timings_ms);
  return c.json(answer, 200);
});
