/**
 * The HTTP face of a vision stage: the same stage object the api calls in-process, behind
 *   POST /v1/prepare  {image, image_key}                     -> 204
 *   POST /v1/entail   {image, image_key, expressions}         -> {results: [{groundable, score}]}
 *   POST /v1/ground   {image, image_key, expressions}         -> {results: [{box, score} | null]}
 *   POST /v1/segment  {image, image_key, boxes, output}       -> {results: [{mask, area, score}]}
 *   GET  /healthz                                             -> {stage, id}
 * Served by each stage's Worker (fetch) and by its Node host (@hono/node-server), unchanged.
 * Failures are RFC 9457 problem details; the api's remote client turns them back into problems.
 */
import { Hono } from 'hono';
import type { EntailStage, GroundStage, SegmentStage, StageKind, StageOf } from '../pipeline/contracts';
import { ProblemError, isProblem } from '../problems';
import { ExpressionsBody, PrepareBody, SegmentBody, imageFromWire } from './wire';

type AnyStage = StageOf<StageKind>;

/** `resolve` builds (or returns the cached) stage for the request's environment; it throws when the stage is not configured. */
export function stageHttpApp<E extends object>(kind: StageKind, resolve: (env: E) => Promise<AnyStage>): Hono<{ Bindings: E }> {
  const app = new Hono<{ Bindings: E }>();
  const stage = (env: E): Promise<AnyStage> => resolve(env ?? ({} as E));

  const body = async <T>(req: Request, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }): Promise<T> => {
    let json: unknown;
    try {
      json = await req.json();
    } catch {
      throw new ProblemError('validation', 'the body is not JSON');
    }
    const r = schema.safeParse(json);
    if (!r.success) throw new ProblemError('validation', `the body does not match the ${kind} wire format: ${r.error.message}`);
    return r.data;
  };

  app.get('/healthz', async (c) => c.json({ stage: kind, id: (await stage(c.env)).id }));

  app.post('/v1/prepare', async (c) => {
    const b = await body(c.req.raw, PrepareBody);
    await (await stage(c.env)).prepare?.(imageFromWire(b.image), b.image_key);
    return c.body(null, 204);
  });

  app.post(`/v1/${kind}`, async (c) => {
    const s = await stage(c.env);
    if (kind === 'segment') {
      const b = await body(c.req.raw, SegmentBody);
      return c.json({ results: await (s as SegmentStage).segment(imageFromWire(b.image), b.image_key, b.boxes, b.output) });
    }
    const b = await body(c.req.raw, ExpressionsBody);
    const img = imageFromWire(b.image);
    const results = kind === 'entail' ? await (s as EntailStage).entail(img, b.image_key, b.expressions) : await (s as GroundStage).ground(img, b.image_key, b.expressions);
    return c.json({ results });
  });

  app.onError((err, c) => {
    const p = isProblem(err) ? err : new ProblemError('stage-failed', `${kind} stage failed: ${(err as Error)?.message ?? String(err)}`, { extensions: { dependency: kind } });
    return new Response(JSON.stringify(p.toBody()), {
      status: p.status,
      headers: { 'content-type': 'application/problem+json' },
    });
  });
  return app;
}
