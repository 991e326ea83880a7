/**
 * The isolate's memory budget. Local workerd does not enforce the 128 MB limit (a 128 MB model loaded there with a
 * 286 MiB wasm heap; limit: https://developers.cloudflare.com/workers/platform/limits/#memory), and on
 * Cloudflare going over it kills the isolate with every request in it, so a model is admitted only if its
 * measured peak fits what is left; otherwise the request gets a clear 503 instead.
 */
import { declaredDefault } from '../config';
import { ProblemError } from '../problems';

export const DEFAULT_BUDGET_MB = declaredDefault<number>('MEMORY_BUDGET_MB');
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

export interface Need {
  modelId: string;
  /** Additional bytes the load will take: heap growth plus the model file held in JS during session creation. */
  bytes: number;
  /** How `bytes` was made up, for the error message. */
  explain: string;
}

export class MemoryBudget {
  private reserved = new Map<symbol, number>();

  constructor(readonly limitBytes: number) {}

  /** Bytes promised to loads in progress (their heap growth is not visible yet). */
  reservedBytes(): number {
    let sum = 0;
    for (const v of this.reserved.values()) sum += v;
    return sum;
  }

  /**
   * Reserve `need` or refuse. `inUseBytes` is what the isolate holds now (the ORT heap). The returned function
   * releases the reservation once the load has finished (its memory is then part of the heap).
   */
  admit(need: Need, inUseBytes: number): () => void {
    const used = inUseBytes + this.reservedBytes();
    const left = Math.max(0, this.limitBytes - used);
    if (need.bytes > left) {
      throw new ProblemError('model-over-budget', `Model "${need.modelId}" needs about ${mb(need.bytes)} (${need.explain}) but the isolate has ${mb(left)} left of its ${mb(this.limitBytes)} memory budget (${mb(used)} in use or reserved). Run it where the budget is larger (MEMORY_BUDGET_MB) or on a Node host.`, {
        extensions: { model: need.modelId, need_bytes: need.bytes, budget_bytes: this.limitBytes, in_use_bytes: used },
      });
    }
    const token = Symbol(need.modelId);
    this.reserved.set(token, need.bytes);
    return () => { this.reserved.delete(token); };
  }
}

export function budgetFromEnv(value: unknown): MemoryBudget {
  const n = value === undefined || value === '' ? DEFAULT_BUDGET_MB : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ProblemError('internal', `MEMORY_BUDGET_MB must be a positive number of megabytes, got "${String(value)}".`);
  return new MemoryBudget(n * MB);
}
