/**
 * A stage that runs elsewhere, seen as a local stage: over a service binding (Workers RPC to the
 * stage Worker's entrypoint class) or over HTTP (a Node host, or a Worker's HTTP face). The api
 * composes these exactly like in-process stages; the remote side keeps its own per-isolate cache of
 * image-level work keyed by the same image key.
 */
import type { RgbaImage } from '../image/types';
import type { Box, EntailStage, Entailment, GroundStage, Grounding, SegmentStage, Segmentation } from '../pipeline/contracts';
import { PROBLEMS, PROBLEM_BASE, ProblemError, type ProblemKind } from '../problems';
import type { StageKind } from './http-app';
import { imageToWire } from './wire';

/** The methods a stage Worker's entrypoint exposes (functions/<stage>/index.ts). */
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

export function rpcEntailStage(binding: EntailRpc, name = 'binding'): EntailStage {
  return {
    id: `entail:rpc:${name}`,
    prepare: (image, key) => binding.prepare(image, key),
    entail: (image, key, expressions) => binding.entail(image, key, expressions),
  };
}

export function rpcGroundStage(binding: GroundRpc, name = 'binding'): GroundStage {
  return {
    id: `ground:rpc:${name}`,
    prepare: (image, key) => binding.prepare(image, key),
    ground: (image, key, expressions) => binding.ground(image, key, expressions),
  };
}

export function rpcSegmentStage(binding: SegmentRpc, name = 'binding'): SegmentStage {
  return {
    id: `segment:rpc:${name}`,
    prepare: (image, key) => binding.prepare(image, key),
    segment: (image, key, boxes, output) => binding.segment(image, key, boxes, output),
  };
}

type Fetch = typeof fetch;

async function post(kind: StageKind, base: string, path: string, body: unknown, doFetch: Fetch): Promise<Response> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) {
    throw new ProblemError('stage-failed', `the ${kind} host at ${url} could not be reached: ${(e as Error).message}`, { extensions: { dependency: kind }, cause: e });
  }
  if (res.ok) return res;
  // The host speaks problem+json: keep its kind (e.g. model-over-budget) and detail.
  const text = await res.text();
  let kindFromHost: ProblemKind = 'stage-failed';
  let detail = `the ${kind} host answered HTTP ${res.status}`;
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

async function results<T>(res: Response): Promise<T> {
  return ((await res.json()) as { results: T }).results;
}

export function httpEntailStage(baseUrl: string, doFetch: Fetch = (i, init) => fetch(i, init)): EntailStage {
  return {
    id: `entail:http:${baseUrl}`,
    prepare: async (image, key) => { await post('entail', baseUrl, '/v1/prepare', { image: imageToWire(image), image_key: key }, doFetch); },
    entail: async (image, key, expressions) => results(await post('entail', baseUrl, '/v1/entail', { image: imageToWire(image), image_key: key, expressions }, doFetch)),
  };
}

export function httpGroundStage(baseUrl: string, doFetch: Fetch = (i, init) => fetch(i, init)): GroundStage {
  return {
    id: `ground:http:${baseUrl}`,
    prepare: async (image, key) => { await post('ground', baseUrl, '/v1/prepare', { image: imageToWire(image), image_key: key }, doFetch); },
    ground: async (image, key, expressions) => results(await post('ground', baseUrl, '/v1/ground', { image: imageToWire(image), image_key: key, expressions }, doFetch)),
  };
}

export function httpSegmentStage(baseUrl: string, doFetch: Fetch = (i, init) => fetch(i, init)): SegmentStage {
  return {
    id: `segment:http:${baseUrl}`,
    prepare: async (image, key) => { await post('segment', baseUrl, '/v1/prepare', { image: imageToWire(image), image_key: key }, doFetch); },
    segment: async (image, key, boxes, output) => results(await post('segment', baseUrl, '/v1/segment', { image: imageToWire(image), image_key: key, boxes, output }, doFetch)),
  };
}
