/**
 * The shape of a model manifest entry. The data lives in models/manifest.ts (real models) and
 * models/fixtures/ (generated stand-ins); the runtime and the store read only these types.
 */
import type { Dim } from './onnx-writer';
import type { ShardPlan } from './shard-plan';
import type { TensorType } from './tensors';

export type { Dim };

export interface TensorSpec {
  name: string;
  type: TensorType;
  /** Numbers are fixed; strings name a dimension the caller chooses. */
  shape: Dim[];
  /** How `models inspect` fills this input: sizes for the named dimensions, and a constant or 'rand'. */
  example?: { dims?: Record<string, number>; fill?: number | number[] | 'rand' };
}

export interface ModelFile {
  /** Object key in the bucket, also the path under `MODEL_ORIGIN_BASE` and the local `pull` folder. */
  key: string;
  /** null until someone has downloaded and pinned the published file (`models pull --trust-on-first-use`). */
  bytes: number | null;
  sha256: string | null;
  /** The published file, pinned to a revision where one is known; null for generated fixtures. */
  origin: string | null;
}

export interface MemoryNeed {
  /** Peak wasm heap of a fresh ORT copy that created this model's session and ran it once (includes ORT's base heap). */
  peakWasmBytes: number;
  /** Where the number comes from: which measurement, on which file, or that it is an estimate. */
  basis: string;
}

/**
 * The rows a memory figure was measured at: the size the free dimension `dim` had in the measured run. Peak memory
 * grows with it, so a runtime given more rows runs them `rows` at a time (shared/onnx/sub-batch.ts).
 */
export interface MeasuredBatch {
  dim: string;
  rows: number;
}

export type Preprocessing =
  | {
      kind: 'image';
      /** shortest-edge / longest-edge resize keeps the aspect ratio; exact stretches to width x height. */
      resize: { mode: 'shortest-edge' | 'longest-edge' | 'exact'; size: number | [number, number]; resample: 'bilinear' | 'bicubic' | 'nearest' };
      crop?: { width: number; height: number; mode: 'center' };
      pad?: { width: number; height: number; value: number; anchor: 'top-left' };
      /** Multiply 0–255 values by this (1/255 gives 0–1; 1 keeps 0–255). */
      rescale: number;
      normalize: { mean: [number, number, number]; std: [number, number, number] } | null;
      layout: 'NCHW' | 'HWC';
    }
  | { kind: 'text'; tokenizer: 'clip-bpe'; maxLength: number; padding: 'max_length' | 'longest'; padTokenId: number; bosTokenId: number; eosTokenId: number; lowercase: boolean }
  | { kind: 'image+text'; image: Extract<Preprocessing, { kind: 'image' }>; text: Extract<Preprocessing, { kind: 'text' }> }
  | { kind: 'prompt'; frame: string; boxLabels?: [number, number]; maskThreshold: number; notes: string };

export interface ModelEntry {
  id: string;
  set: 'default' | 'fixtures' | 'lookalikes';
  title: string;
  /** The stage and role that uses it, e.g. `entail.vision`. */
  role: string;
  /** The graph first; further files are external data, passed to ORT under their base names. */
  files: ModelFile[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preprocessing: Preprocessing;
  memory: MemoryNeed;
  /** Session options the memory figure was measured with. */
  session?: { graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all' };
  license?: string;
  notes?: string;
  /** Present when the graph is served cut into pieces, each in its own isolate (shared/onnx/shard-plan.ts). */
  shards?: ShardPlan;
  /** The batch `memory` holds at; more rows run as sub-batches of this size. Absent: one run, whatever the batch. */
  batch?: MeasuredBatch;
}

/** An entry can be served only when every file has a pinned hash. */
export const isVerified = (e: ModelEntry): boolean => e.files.every((f) => f.sha256 !== null);

/** The entry's files in bytes, or null while any file's size is unknown (not pinned). */
export const entryFileBytes = (e: ModelEntry): number | null =>
  e.files.every((f) => f.bytes !== null) ? e.files.reduce((a, f) => a + f.bytes!, 0) : null;
