/**
 * The HTTP face of a vision stage: the same stage object the api calls in-process, behind
 *   POST /v1/prepare  {image, image_key}                     -> 204
 *   POST /v1/entail   {image, image_key, expressions}         -> {results: [{groundable, score}]}
 *   POST /v1/ground   {image, image_key, expressions}         -> {results: [{box, score} | null]}
 *   POST /v1/segment  {image, image_key, boxes, output}       -> {results: [{mask, area, score}]}
 *   GET  /healthz                                             -> {stage, id}
 * With the request header `x-debug: hops` (and a host that passes `hops`), a call's answer also carries `hops`: each
 * call its runtime made to a part or shard Worker meanwhile (shared/onnx/hops.ts); prepare then answers 200 {hops}.
 * The api never asks for them: they are for measurement (npm run bench -- pipeline --placement).
 * Served by each stage's Worker (fetch) and by its Node host (@hono/node-server), unchanged.
 * Failures are RFC 9457 problem details; the api's remote client turns them back into problems.
 */
import { Hono } from 'hono';
import type { EntailStage, GroundStage, SegmentStage, StageKind, StageOf } from '../pipeline/contracts';
import type { HopLog } from '../onnx/hops';
import { ProblemError, isProblem } from '../problems';
import { ExpressionsBody, PrepareBody, SegmentBody, imageFromWire } from './wire';

type AnyStage = StageOf<StageKind>;

/** `resolve` builds (or returns the cached) stage for the request's environment; it throws when the stage is not configured. */
export function stageHttpApp<E extends object>(kind: StageKind, resolve: (env: E) => Promise<AnyStage>, opts: { hops?: (env: E) => HopLog } = {}): Hono<{ Bindings: E }> {
  const app = new Hono<{ Bindings: E }>();
  const stage = (env: E): Promise<AnyStage> => resolve(env ?? ({} as E));
  /** The hops `work` made, when the request asks for them (x-debug: hops) and the host keeps a log. */
  const traced = async <T>(req: Request, env: E, work: () => Promise<T>): Promise<{ value: T; hops?: unknown[] }> => {
    const log = req.headers.get('x-debug') === 'hops' ? opts.hops?.(env ?? ({} as E)) : undefined;
    const mark = log?.mark() ?? 0;
    const value = await work();
    return log ? { value, hops: log.since(mark) } : { value };
  };

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
    const s = await stage(c.env);
    const { hops } = await traced(c.req.raw, c.env, async () => { await s.prepare?.(imageFromWire(b.image), b.image_key); });
    return hops ? c.json({ hops }) : c.body(null, 204);
  });

  app.post(`/v1/${kind}`, async (c) => {
    const s = await stage(c.env);
    if (kind === 'segment') {
      const b = await body(c.req.raw, SegmentBody);
      const { value: results, hops } = await traced(c.req.raw, c.env, () => (s as SegmentStage).segment(imageFromWire(b.image), b.image_key, b.boxes, b.output));
      return c.json({ results, ...(hops ? { hops } : {}) });
    }
    const b = await body(c.req.raw, ExpressionsBody);
    const img = imageFromWire(b.image);
    const { value: results, hops } = await traced<unknown[]>(c.req.raw, c.env, () => (kind === 'entail' ? (s as EntailStage).entail(img, b.image_key, b.expressions) : (s as GroundStage).ground(img, b.image_key, b.expressions)));
    return c.json({ results, ...(hops ? { hops } : {}) });
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
