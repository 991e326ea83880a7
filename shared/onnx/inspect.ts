/**
 * Measures one model in a fresh ORT copy, so the heap figure belongs to this model alone: start-up, session
 * creation, run latency (median) and the peak wasm heap (linear memory only grows, so its final size is the peak).
 * Platform-neutral: the `models` command and the bench run it in Node with nodeOrt.
 */
import type { TensorSpec } from './manifest-types';
import { OrtRuntime } from './ort-runtime';
import type { OrtProvider } from './ort-types';
import { syntheticInput, type InputMeta } from './synthetic';

export interface InspectOptions {
  runs?: number;
  /** Contract specs (with examples) by input name; inputs not listed are synthesised from graph metadata. */
  specs?: TensorSpec[];
  dims?: Record<string, number>;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface InspectResult {
  bytes: number;
  inputs: { name: string; type: string; shape: (number | string)[]; fed: number[] }[];
  outputs: { name: string; type: string; shape: (number | string)[]; got: number[] }[];
  startMs: number;
  createMs: number;
  firstRunMs: number;
  medianRunMs: number;
  runs: number;
  baseHeapBytes: number;
  heapAfterCreateBytes: number;
  peakHeapBytes: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const shapeOf = (m: unknown) => ((m as { shape?: (number | string)[] }).shape ?? []).map((d) => d ?? '?');

export async function inspectModel(provider: OrtProvider, bytes: Uint8Array, opts: InspectOptions = {}): Promise<InspectResult> {
  const rt = new OrtRuntime(provider);
  let t = performance.now();
  const inst = await rt.ready();
  const startMs = performance.now() - t;
  const baseHeapBytes = inst.heapBytes() ?? 0;

  t = performance.now();
  const session = await inst.ort.InferenceSession.create(bytes, {
    executionProviders: inst.executionProviders,
    enableCpuMemArena: false,
    enableMemPattern: false,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
  });
  const createMs = performance.now() - t;
  const heapAfterCreateBytes = inst.heapBytes() ?? 0;

  const metas = session.inputMetadata as readonly (InputMeta & { isTensor: boolean })[];
  const feedsPlain = Object.fromEntries(metas.map((m) => [m.name, syntheticInput(m, opts.specs?.find((s) => s.name === m.name), opts.dims)]));
  const feeds = Object.fromEntries(Object.entries(feedsPlain).map(([k, v]) => [k, new inst.ort.Tensor(v.type, v.data, v.dims)]));
  const times: number[] = [];
  let out: Awaited<ReturnType<typeof session.run>> = {};
  for (let i = 0; i < Math.max(1, opts.runs ?? 5); i++) {
    t = performance.now();
    out = await session.run(feeds);
    times.push(performance.now() - t);
  }
  const result: InspectResult = {
    bytes: bytes.length,
    inputs: metas.map((m) => ({ name: m.name, type: m.type, shape: shapeOf(m), fed: [...feedsPlain[m.name].dims] })),
    outputs: (session.outputMetadata as readonly { name: string; type?: string }[]).map((m) => ({ name: m.name, type: m.type ?? '?', shape: shapeOf(m), got: [...(out[m.name]?.dims ?? [])] })),
    startMs,
    createMs,
    firstRunMs: times[0],
    medianRunMs: median(times.length > 1 ? times.slice(1) : times), // the first run includes one-off allocation
    runs: times.length,
    baseHeapBytes,
    heapAfterCreateBytes,
    peakHeapBytes: inst.heapBytes() ?? 0,
  };
  await session.release();
  return result;
}
