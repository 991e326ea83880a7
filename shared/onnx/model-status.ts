/** What the runtime reports about each model of the set and about itself (GET /v1/models and friends). */
import type { StoreDescription } from '../store/model-store';
import { entryFileBytes, isVerified, type ModelEntry } from './manifest-types';

export type LoadState = 'idle' | 'loading' | 'loaded' | 'failed';

export interface ModelStatus {
  id: string;
  set: string;
  title: string;
  role: string;
  state: LoadState;
  loaded: boolean;
  verified: boolean;
  keys: string[];
  bytes: number | null;
  peak_wasm_bytes: number;
  memory_basis: string;
  fits_budget: boolean;
  error?: string;
}

export interface RuntimeDescription {
  set: string;
  runtime: string;
  store: StoreDescription;
  budget_bytes: number;
  wasm_heap_bytes: number;
}

/** One entry's status; `fits_budget` counts its peak heap plus its files held in JS while the session is created. */
export function modelStatus(e: ModelEntry, state: LoadState, budgetBytes: number, error?: string): ModelStatus {
  const bytes = entryFileBytes(e);
  return {
    id: e.id, set: e.set, title: e.title, role: e.role, state,
    loaded: state === 'loaded',
    verified: isVerified(e),
    keys: e.files.map((f) => f.key),
    bytes,
    peak_wasm_bytes: e.memory.peakWasmBytes,
    memory_basis: e.memory.basis,
    fits_budget: e.memory.peakWasmBytes + (bytes ?? 0) <= budgetBytes,
    ...(error ? { error } : {}),
  };
}
