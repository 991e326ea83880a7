/**
 * The seam between the runtime and the place it runs. A provider makes ORT copies; everything above it
 * (sessions, budget, stages) is the same code in workerd, Node and browsers.
 */
import type * as ortNs from 'onnxruntime-web/wasm';

export type Ort = typeof ortNs;
export type OrtSession = ortNs.InferenceSession;
export type OrtSessionOptions = ortNs.InferenceSession.SessionOptions;

export interface OrtInstance {
  readonly ort: Ort;
  /** What `InferenceSession.create` is asked to use, in order of preference. */
  readonly executionProviders: string[];
  /** Current size of this copy's wasm linear memory; null where it cannot be observed (WebGPU build). */
  heapBytes(): number | null;
}

export interface OrtProvider {
  readonly name: string;
  /** A new, uninitialised ORT copy. Called again after a failed initialisation. */
  instantiate(): Promise<OrtInstance>;
}
