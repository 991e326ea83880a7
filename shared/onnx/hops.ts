/**
 * The cost of crossing an isolate boundary: every call from a runtime to a part or shard Worker, with the caller's
 * wall time, the callee's own run time (from its answer, model-parts.ts PartRun) and the bytes each way. The hop is
 * the difference: structured clone, the RPC transport and scheduling on both sides. Kept per isolate in a bounded
 * log for debugging and measurement (a stage's HTTP face returns a call's hops when asked); never in a public answer.
 */
import type { TensorData } from './tensors';

export interface Hop {
  /** Manifest id of the whole model. */
  model: string;
  /** Shard index, or null for a part Worker hosting the whole model. */
  shard: number | null;
  /** Caller's wall time of the RPC call, ms. */
  call_ms: number;
  /** The callee's own run time, ms. */
  run_ms: number;
  /** Bytes of tensor data sent (feeds) and received (outputs). */
  bytes_out: number;
  bytes_in: number;
}

/** Bytes of tensor data in a set of named tensors (what a structured clone must copy). */
export function tensorBytes(tensors: Record<string, TensorData>): number {
  return Object.values(tensors).reduce((a, t) => a + t.data.byteLength, 0);
}

const MAX_HOPS = 256;

/** The last MAX_HOPS hops of an isolate, numbered, so that a caller can take the ones one piece of work made. */
export class HopLog {
  private hops: (Hop & { seq: number })[] = [];
  private next = 0;

  record(hop: Hop): void {
    this.hops.push({ ...hop, seq: this.next++ });
    if (this.hops.length > MAX_HOPS) this.hops.splice(0, this.hops.length - MAX_HOPS);
  }

  /** A mark to pass to `since` (the number the next hop will get). */
  mark(): number {
    return this.next;
  }

  /** The hops recorded since `mark`, oldest first (concurrent work in the same isolate shows up too). */
  since(mark: number): Hop[] {
    return this.hops.filter((h) => h.seq >= mark).map(({ seq: _, ...h }) => h);
  }
}
