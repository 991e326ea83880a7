/**
 * The pipeline bench's Worker: bundled by wrangler and run in workerd through the Miniflare API by
 * scripts/bench/pipeline.ts (never deployed). Inside the isolate it runs the real intake (jSquash decoder of
 * functions/api/recognize/image-decoder.ts), the real recognizer against the recorded LLM server, the real orchestrator
 * (runPipeline), and the look-alike vision stages (lookalike-stages.ts) on onnxruntime-web with the
 * production workerd provider. All stages share one ORT copy and their runs are queued, as in-process stages
 * do in the api Worker (shared/stages/model-access.ts).
 *
 *   GET  /          starts the isolate ("ok")
 *   POST /run       one post, body = the image bytes, header x-bench = {mode: pipeline | riveg, text, masks, groundable}
 *   POST /stage     one function alone, body = the image file (api) or its RGBA pixels (vision functions),
 *                   header x-bench = {fn, ns, runs, texts, rgba}
 *
 * Env: LLM_* (the recognizer's own variables, pointing at the recorded server), MODEL_BASE (where the driver
 * serves the look-alike files, `${MODEL_BASE}${name}.onnx`).
 */
import { intakeImage, DEFAULT_INTAKE_OPTIONS } from '../../shared/image/intake';
import type { RgbaImage } from '../../shared/image/types';
import type { ConfigEnv } from '../../shared/config';
import { OrtRuntime } from '../../shared/onnx/ort-runtime';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { TensorData, TensorType } from '../../shared/onnx/tensors';
import type { Box } from '../../shared/pipeline/contracts';
import { runPipeline, type IntakeResult } from '../../shared/pipeline/orchestrator';
import { StageTimer } from '../../shared/pipeline/timer';
import { createRecognizer, llmConfigFromEnv, type LlmRecognizer } from '../../shared/recognize';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import {
  LookalikeEntail, LookalikeGround, LookalikeSegment, groundableCount,
  type LookalikeModels, type LookalikeName, type LookalikeSession,
} from './lookalike-stages';

interface Env extends ConfigEnv {
  MODEL_BASE: string;
  [k: string]: unknown;
}

/**
 * `prepareDelayMs` (pipeline mode only; 0 = the orchestrator as it is): each stage's prepare() starts this much later,
 * a diagnostic of letting the isolate's thread send the LLM request before CPU-bound encoder runs block it.
 */
export interface RunParams { mode: 'pipeline' | 'riveg'; text: string; masks: boolean; groundable: number; prepareDelayMs?: number }
export interface RunResult {
  timings_ms: Record<string, number>;
  entities: number;
  groundable: number;
  boxes: number;
  masks: number;
  llm_calls: number;
  /** Requests the recognizer sent (more than llm_calls when a connection failed and was retried). */
  llm_fetches: number;
  ground_fallbacks: number;
  wasm_heap_bytes: number;
  /** Date.now() when the post started (pipeline order), to place the LLM server's arrival stamp on the post's clock. */
  started_at_ms?: number;
}

export type StageFn = 'api' | 'ort' | 'entail' | 'entail.vision' | 'entail.text' | 'ground' | 'segment' | 'segment.decoder';
/**
 * `rgba`: the body is the decoded image (what a stage function receives over RPC), not a file; the `api`
 * function gets the file and decodes it itself.
 */
export interface StageParams { fn: StageFn; ns: number[]; runs: number; texts: Record<string, string>; rgba?: { width: number; height: number } }
export interface StageResult {
  fn: StageFn;
  /** Session creation per model (fetch of the file from the driver + InferenceSession.create), in load order. */
  load_ms: Record<string, number>;
  /** The first prepare + call (n = ns[0]): first-run allocations, negatives. */
  cold_ms: number;
  /** Per n: each run's prepare (image-level work) and call (per-post work); for `api`: intake and recognize. */
  per_n: Record<string, { prepare: number[]; call: number[] }>;
  wasm_heap_after_load_bytes: number;
  wasm_heap_bytes: number;
}

// ---- models: one ORT copy per isolate, sessions created once, every create and run queued ----

const runtime = new OrtRuntime(workerdOrt);
const sessions = new Map<LookalikeName, Promise<LookalikeSession>>();
const loadMs: Record<string, number> = {};
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const p = queue.then(work);
  queue = p.catch(() => undefined);
  return p;
}

function modelsFor(env: Env): LookalikeModels {
  return {
    session(name) {
      let s = sessions.get(name);
      if (!s) {
        s = serialized(async () => {
          const t0 = performance.now();
          const [inst, res] = await Promise.all([runtime.ready(), fetch(`${env.MODEL_BASE}${name}.onnx`)]);
          if (!res.ok) throw new Error(`model ${name}: ${res.status} from the bench driver`);
          const bytes = new Uint8Array(await res.arrayBuffer());
          // the options ModelRuntime uses (shared/onnx/model-runtime.ts)
          const session = await inst.ort.InferenceSession.create(bytes, {
            executionProviders: inst.executionProviders, enableCpuMemArena: false, enableMemPattern: false, graphOptimizationLevel: 'all',
          });
          loadMs[name] = Math.round(performance.now() - t0);
          return {
            run: (feeds: Record<string, TensorData>) => serialized(async () => {
              const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new inst.ort.Tensor(t.type, t.data, t.dims)])));
              return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type as TensorType, data: t.data as TensorData['data'], dims: t.dims }]));
            }),
          };
        });
        s.catch(() => sessions.delete(name));
        sessions.set(name, s);
      }
      return s;
    },
  };
}

// ---- stages, recognizers, intake ----

interface Parts {
  models: LookalikeModels;
  batched: LlmRecognizer;
  riveg: LlmRecognizer;
  entail: LookalikeEntail;
  ground: LookalikeGround;
  segment: LookalikeSegment;
  entailVision: LookalikeEntail;
  entailText: LookalikeEntail;
  decoderOnly: LookalikeSegment;
  groundable: number;
}
let parts: Parts | undefined;

/** When the recognizer's requests left the isolate (performance.now()), to show whether the LLM call overlapped the prepare work. */
const llmSent: number[] = [];
const traced: typeof fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  llmSent.push(performance.now());
  return fetch(input, init);
}) as typeof fetch;

/** RiVEG asked its expansion questions one after another: one LLM request in flight at a time. */
let rivegFetches = 0;
function oneAtATime(): typeof fetch {
  let chain: Promise<unknown> = Promise.resolve();
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const p = chain.then(() => {
      rivegFetches++;
      return fetch(input, init);
    });
    chain = p.catch(() => undefined);
    return p;
  }) as typeof fetch;
}

function partsFor(env: Env, groundable: number): Parts {
  if (parts && parts.groundable === groundable) return parts;
  const llm = llmConfigFromEnv(env);
  if (!llm.config) throw new Error(`LLM not configured: ${llm.problems.join('; ')}`);
  const models = modelsFor(env);
  parts = {
    models,
    batched: createRecognizer({ ...llm.config, mode: 'batched' }, { fetch: traced }),
    riveg: createRecognizer({ ...llm.config, mode: 'per_entity' }, { fetch: oneAtATime() }),
    entail: new LookalikeEntail(models, { groundableFraction: groundable }),
    ground: new LookalikeGround(models),
    segment: new LookalikeSegment(models),
    entailVision: new LookalikeEntail(models, { groundableFraction: 1, text: false }),
    entailText: new LookalikeEntail(models, { groundableFraction: 1, vision: false }),
    decoderOnly: new LookalikeSegment(models, { encoder: false }),
    groundable,
  };
  return parts;
}

const intake = (bytes: Uint8Array) => (signal: AbortSignal): Promise<IntakeResult> =>
  intakeImage({ kind: 'bytes', bytes, media_type: 'image/jpeg' }, { ...DEFAULT_INTAKE_OPTIONS, signal }, { decoder: imageDecoder() });

// ---- one post ----

/** With workerd started under --expose-gc: collect between measured pieces, so peak RSS shows live memory, not old garbage. */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

async function runPost(p: Parts, params: RunParams, bytes: Uint8Array): Promise<RunResult> {
  collect();
  for (const s of [p.entail, p.ground, p.segment]) s.forgetImages(); // every post brings a new image
  const fallbacksBefore = p.ground.fallbacks;
  const request_id = `bench-${Date.now()}`;
  if (params.mode === 'pipeline') {
    llmSent.length = 0;
    const startedAt = Date.now();
    const t0 = performance.now();
    const delay = params.prepareDelayMs ?? 0;
    // the same stage object (its caches, counters) behind a proxy whose prepare() waits first
    const later = <S extends { prepare(img: RgbaImage, key: string): Promise<void> }>(stage: S): S => {
      if (delay <= 0) return stage;
      const prepare = async (img: RgbaImage, key: string) => {
        await new Promise((ok) => setTimeout(ok, delay));
        await stage.prepare(img, key);
      };
      return new Proxy(stage, {
        get: (target, k) => {
          if (k === 'prepare') return prepare;
          const v = Reflect.get(target, k);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    };
    const r = await runPipeline({ text: params.text, labels: 'gmner', masks: params.masks, request_id }, intake(bytes), {
      recognize: p.batched, entail: later(p.entail), ground: later(p.ground), segment: later(p.segment),
    });
    // fetch() of the recognition request, from the start of the post (the orchestrator's clock starts with it)
    if (llmSent.length) r.timings_ms.llm_request_sent = Math.round((llmSent[0] - t0) * 10) / 10;
    return {
      timings_ms: r.timings_ms,
      entities: r.entities.length,
      groundable: r.entities.filter((e) => e.groundable).length,
      boxes: r.entities.filter((e) => e.box).length,
      masks: r.entities.filter((e) => e.mask).length,
      llm_calls: r.recognition.usage.calls,
      llm_fetches: llmSent.length,
      ground_fallbacks: p.ground.fallbacks - fallbacksBefore,
      wasm_heap_bytes: runtime.heapBytes(),
      started_at_ms: startedAt,
    };
  }

  // RiVEG's order: everything one after another, one entity at a time; image encoders still once per image
  const timer = new StageTimer();
  const sums: Record<string, number> = { entail: 0, ground: 0, segment: 0 };
  const add = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      sums[name] += performance.now() - t0;
    }
  };
  rivegFetches = 0;
  const { image } = await timer.time('intake', () => intake(bytes)(new AbortController().signal));
  const rec = await timer.time('recognize', () => p.riveg.recognize({ text: params.text, labels: 'gmner', request_id, mode: 'per_entity' }));
  const px = image.pixels;
  const key = image.sha256;
  await timer.time('entail_prepare', () => p.entail.prepare(px, key));
  await timer.time('ground_prepare', () => p.ground.prepare(px, key));
  if (params.masks) await timer.time('segment_prepare', () => p.segment.prepare(px, key));
  const n = rec.entities.length;
  const k = groundableCount(n, params.groundable);
  let groundable = 0;
  let boxes = 0;
  let masks = 0;
  for (const [i, e] of rec.entities.entries()) {
    await add('entail', () => p.entail.entail(px, key, [e.expansion]));
    // groundability by position in the post (the first round(f x n)), as the bench entail decides in the pipeline
    if (i >= k) continue;
    groundable++;
    const [g] = await add('ground', () => p.ground.ground(px, key, [e.expansion]));
    if (!g) continue;
    boxes++;
    if (!params.masks) continue;
    const box: Box = g.box;
    await add('segment', () => p.segment.segment(px, key, [box], { width: image.width, height: image.height }));
    masks++;
  }
  const timings = timer.total();
  for (const [name, ms] of Object.entries(sums)) timings[name] = Math.round(ms * 10) / 10;
  if (!params.masks) delete timings.segment;
  return {
    timings_ms: timings, entities: n, groundable, boxes, masks, llm_calls: rec.usage.calls, llm_fetches: rivegFetches,
    ground_fallbacks: p.ground.fallbacks - fallbacksBefore, wasm_heap_bytes: runtime.heapBytes(),
  };
}

// ---- one function alone ----

const expressions = (n: number) =>
  Array.from({ length: n }, (_, i) => `Bench Entity ${i + 1} (PER): An invented person in the bench post number ${i + 1}.`);

function boxesFor(n: number, img: RgbaImage): Box[] {
  return Array.from({ length: n }, (_, i) => ({
    x1: (img.width * (i % 4)) / 6, y1: (img.height * (i % 3)) / 6, x2: (img.width * ((i % 4) + 2)) / 6, y2: (img.height * ((i % 3) + 3)) / 6,
  }));
}

async function runStage(p: Parts, params: StageParams, bytes: Uint8Array): Promise<StageResult> {
  const per_n: StageResult['per_n'] = {};
  const signal = new AbortController().signal;
  if (params.fn === 'api') {
    // the api function's own work: intake (fetch, hash, decode) and the recognition call
    let cold = 0;
    for (const [j, n] of params.ns.entries()) {
      const text = params.texts[String(n)];
      per_n[n] = { prepare: [], call: [] };
      let retried = 0;
      for (let r = 0; r < params.runs + (j === 0 ? 1 : 0); r++) {
        collect();
        llmSent.length = 0;
        const t0 = performance.now();
        const { image } = await intake(bytes)(signal);
        const t1 = performance.now();
        const rec = await p.batched.recognize({ text, labels: 'gmner', request_id: `bench-${r}` });
        const t2 = performance.now();
        if (rec.entities.length !== n || image.width === 0) throw new Error(`expected ${n} entities, got ${rec.entities.length}`);
        if (llmSent.length !== rec.usage.calls && retried++ < 3) {
          r--; // a request was retried after a dropped keep-alive connection: measure this one again
          continue;
        }
        if (j === 0 && r === 0) cold = t2 - t0;
        else {
          per_n[n].prepare.push(t1 - t0);
          per_n[n].call.push(t2 - t1);
        }
      }
    }
    return { fn: 'api', load_ms: {}, cold_ms: cold, per_n, wasm_heap_after_load_bytes: 0, wasm_heap_bytes: 0 };
  }

  if (params.fn === 'ort') {
    // onnxruntime-web started (wasm instantiated, warm-up session) and nothing else: the fixed part of every vision function
    const t0 = performance.now();
    await runtime.ready();
    return { fn: 'ort', load_ms: { ort: Math.round(performance.now() - t0) }, cold_ms: 0, per_n: {}, wasm_heap_after_load_bytes: runtime.heapBytes(), wasm_heap_bytes: runtime.heapBytes() };
  }
  if (!params.rgba || bytes.length !== params.rgba.width * params.rgba.height * 4) throw new Error('a vision function takes RGBA pixels');
  const px: RgbaImage = { width: params.rgba.width, height: params.rgba.height, data: bytes };
  const output = { width: px.width, height: px.height };
  const needs: Record<Exclude<StageFn, 'api' | 'ort'>, LookalikeName[]> = {
    entail: ['entail-vision', 'entail-text'],
    'entail.vision': ['entail-vision'],
    'entail.text': ['entail-text'],
    ground: ['ground-image', 'ground-query'],
    segment: ['segment-encoder', 'segment-decoder'],
    'segment.decoder': ['segment-decoder'],
  };
  for (const m of needs[params.fn]) await p.models.session(m);
  const heapAfterLoad = runtime.heapBytes();
  const load = Object.fromEntries(needs[params.fn].map((m) => [m, loadMs[m]]));

  const stage = {
    entail: p.entail, 'entail.vision': p.entailVision, 'entail.text': p.entailText, ground: p.ground, segment: p.segment, 'segment.decoder': p.decoderOnly,
  }[params.fn];
  const call = (key: string, n: number): Promise<unknown> => {
    if (stage instanceof LookalikeEntail) return stage.entail(px, key, expressions(n));
    if (stage instanceof LookalikeGround) return stage.ground(px, key, expressions(n));
    return stage.segment(px, key, boxesFor(n, px), output);
  };
  const once = async (key: string, n: number) => {
    stage.forgetImages();
    collect();
    const t0 = performance.now();
    await stage.prepare(px, key);
    const t1 = performance.now();
    await call(key, n);
    return [t1 - t0, performance.now() - t1];
  };
  const [c0, c1] = await once('cold', params.ns[0]);
  for (const n of params.ns) {
    per_n[n] = { prepare: [], call: [] };
    for (let r = 0; r < params.runs; r++) {
      const [a, b] = await once(`img-${n}-${r}`, n);
      per_n[n].prepare.push(a);
      per_n[n].call.push(b);
    }
  }
  return { fn: params.fn, load_ms: load, cold_ms: c0 + c1, per_n, wasm_heap_after_load_bytes: heapAfterLoad, wasm_heap_bytes: runtime.heapBytes() };
}

export default {
  async fetch(req, env) {
    if (req.method === 'GET') return new Response('ok');
    try {
      const params = JSON.parse(req.headers.get('x-bench') ?? '{}');
      const bytes = new Uint8Array(await req.arrayBuffer());
      const url = new URL(req.url);
      if (url.pathname === '/run') {
        const p = partsFor(env, (params as RunParams).groundable);
        return Response.json(await runPost(p, params as RunParams, bytes));
      }
      if (url.pathname === '/stage') {
        const p = partsFor(env, 1);
        return Response.json(await runStage(p, params as StageParams, bytes));
      }
      return new Response('not found', { status: 404 });
    } catch (e) {
      return Response.json({ error: String((e as Error)?.stack ?? e) }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;
