/**
 * A stage that runs elsewhere, seen as a local stage: over a service binding (Workers RPC to the stage Worker's
 * entrypoint class) or over HTTP (a Node host, or a Worker's HTTP face). The api composes these exactly like
 * in-process stages; the remote side keeps its own per-isolate cache of image-level work keyed by the same image key.
 *
 * Every call has a deadline (`timeoutMs`): past it the caller gets 504 `stage-timeout` and the request goes on
 * without waiting (an HTTP call is aborted on the wire; an RPC call's late answer is dropped). A host that fails or
 * dies gives 502 `stage-failed`, or the host's own problem kind when it sent one. A stage's id names its placement
 * and the binding or variable it came from, never a host's URL (ids reach clients in `models`).
 */
import { declaredDefault } from '../config';
import { withDeadline } from '../deadline';
import type { RgbaImage } from '../image/types';
import type { Box, Entailment, Grounding, Segmentation, StageKind, StageOf } from '../pipeline/contracts';
import { describeNetFailure } from '../net-failure';
import { PROBLEMS, PROBLEM_BASE, ProblemError, isProblem, type ProblemKind } from '../problems';
import { problemFromRpc } from '../rpc-errors';
import { imageToWire } from './wire';

/** The methods a stage Worker's entrypoint exposes (functions/stage-worker.ts). */
export interface EntailRpc {
  prepare(image: RgbaImage, imageKey: string): Promise<void>;
  entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]>;
}
export interface GroundRpc {
  prepare(image: RgbaImage, imageKey: string): Promise<void>;
  ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]>;
}
export interface SegmentRpc {
  prepare(image: RgbaImage, imageKey: string): Promise<void>;
  segment(image: RgbaImage, imageKey: string, boxes: Box[], output: { width: number; height: number }): Promise<Segmentation[]>;
}

type Fetch = typeof fetch;
type RpcOf<K extends StageKind> = K extends 'entail' ? EntailRpc : K extends 'ground' ? GroundRpc : SegmentRpc;

export interface RemoteStageOptions {
  /** What the stage id names: the binding or variable (never a URL). */
  name?: string;
  /** Deadline of each call, ms (default 60 000). */
  timeoutMs?: number;
  /** HTTP only: the fetch to use. */
  fetch?: Fetch;
}

export const DEFAULT_STAGE_TIMEOUT_MS = declaredDefault<number>('STAGE_TIMEOUT_MS');

/** The stage behind a service binding to its Worker's entrypoint. */
export function rpcStage<K extends StageKind>(kind: K, binding: RpcOf<K>, opts: RemoteStageOptions = {}): StageOf<K> {
  const name = opts.name ?? 'binding';
  const ms = opts.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS;
  const call = <T>(method: string, work: () => Promise<T>) => {
    const what = `the ${kind} Worker (${name}.${method})`;
    return withDeadline(ms, what, kind, work).catch((e) => { throw problemFromRpc(e, what, kind); });
  };
  const b = binding as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return {
    id: `${kind}:rpc:${name}`,
    prepare: (image: RgbaImage, key: string) => call('prepare', () => b.prepare(image, key)),
    [kind]: (...args: unknown[]) => call(kind, () => b[kind](...args)),
  } as unknown as StageOf<K>;
}

/** The stage behind a host's HTTP face (shared/stages/http-app.ts). */
export function httpStage<K extends StageKind>(kind: K, baseUrl: string, opts: RemoteStageOptions = {}): StageOf<K> {
  const doFetch: Fetch = opts.fetch ?? ((i, init) => fetch(i, init));
  const ms = opts.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS;
  const name = opts.name ?? 'url';
  // The deadline covers the whole answer, body included: a host that sends headers and then stalls is a 504 too.
  const send = (path: string, body: unknown) =>
    withDeadline(ms, `the ${kind} host (${name}) ${path}`, kind, async (signal) => {
      const text = await (await post(kind, name, baseUrl, path, body, doFetch, signal)).text();
      return text ? JSON.parse(text) : undefined; // prepare answers with no body
    });
  const results = async <T>(answer: Promise<unknown>): Promise<T> => ((await answer) as { results: T }).results;
  const method = kind === 'segment'
    ? (image: RgbaImage, key: string, boxes: Box[], output: { width: number; height: number }) => results(send('/v1/segment', { image: imageToWire(image), image_key: key, boxes, output }))
    : (image: RgbaImage, key: string, expressions: string[]) => results(send(`/v1/${kind}`, { image: imageToWire(image), image_key: key, expressions }));
  return {
    id: `${kind}:http:${name}`,
    prepare: async (image: RgbaImage, key: string) => { await send('/v1/prepare', { image: imageToWire(image), image_key: key }); },
    [kind]: method,
  } as unknown as StageOf<K>;
}

async function post(kind: StageKind, name: string, base: string, path: string, body: unknown, doFetch: Fetch, signal: AbortSignal): Promise<Response> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  } catch (e) {
    if (isProblem(e)) throw e;
    // the URL and the socket's own words stay in the server's log (cause), not in the answer's detail
    throw new ProblemError('stage-failed', `the ${kind} host (${name}) could not be reached: ${describeNetFailure(e)}`, { extensions: { dependency: kind }, cause: e });
  }
  if (res.ok) return res;
  // The host speaks problem+json: keep its kind (e.g. model-over-budget) and detail.
  const text = await res.text();
  let kindFromHost: ProblemKind = 'stage-failed';
  let detail = `the ${kind} host (${name}) answered HTTP ${res.status}`;
  try {
    const p = JSON.parse(text) as { type?: string; detail?: string };
    const slug = p.type?.startsWith(PROBLEM_BASE) ? p.type.slice(PROBLEM_BASE.length) : '';
    if (slug in PROBLEMS) kindFromHost = slug as ProblemKind;
    if (p.detail) detail = `${kind} host: ${p.detail}`;
  } catch {
    // not problem+json: keep the status line
  }
  throw new ProblemError(kindFromHost, detail, { extensions: { dependency: kind, upstream_status: res.status } });
}
