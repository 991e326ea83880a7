/**
 * Owns the isolate's ORT copy: started lazily (never at module scope, because of the 1 s startup limit), shared by
 * concurrent callers, and replaced by a fresh copy when initialisation failed, so one bad start does not leave the
 * isolate answering "previous call to 'initWasm()' failed" until it is recycled.
 */
import { ProblemError } from '../problems';
import { GraphBuilder } from './onnx-writer';
import type { OrtInstance, OrtProvider } from './ort-types';

/** ORT's wasm heap right after start-up (256 pages), used until a start has been measured. */
export const ORT_BASE_HEAP_BYTES = 16 * 1024 * 1024;

let warmup: Uint8Array | undefined;
/** An Identity graph: creating a session from it is what makes ORT initialise, with nothing else that can fail. */
function warmupModel(): Uint8Array {
  if (!warmup) {
    const g = new GraphBuilder('warmup');
    g.output(g.input('x', 'float32', [1]), 'y', 'float32', [1]);
    warmup = g.encode();
  }
  return warmup;
}

export class OrtRuntime {
  private current?: Promise<OrtInstance>;
  private instance?: OrtInstance;
  private baseHeap?: number;
  /** Completed start-ups, failed ones included; for status and tests. */
  starts = 0;
  lastError?: string;

  constructor(readonly provider: OrtProvider) {}

  get started(): boolean {
    return this.instance !== undefined;
  }

  /** The wasm heap in use now; 0 before the first start. */
  heapBytes(): number {
    return this.instance?.heapBytes() ?? 0;
  }

  /** The heap an idle started copy holds, which a model's measured peak already includes. */
  baseHeapBytes(): number {
    return this.baseHeap ?? ORT_BASE_HEAP_BYTES;
  }

  ready(): Promise<OrtInstance> {
    if (!this.current) {
      const p = this.start();
      this.current = p;
      // drop a failed start so that the next caller builds a new copy instead of awaiting the broken one
      p.catch(() => { if (this.current === p) this.current = undefined; });
    }
    return this.current;
  }

  /** Forget the copy (its sessions must have been released): the next `ready()` starts a new one with an empty heap. */
  discard(): void {
    this.current = undefined;
    this.instance = undefined;
  }

  private async start(): Promise<OrtInstance> {
    this.starts++;
    try {
      const inst = await this.provider.instantiate();
      const session = await inst.ort.InferenceSession.create(warmupModel(), { executionProviders: inst.executionProviders });
      await session.release();
      this.instance = inst;
      this.baseHeap = inst.heapBytes() ?? undefined;
      this.lastError = undefined;
      return inst;
    } catch (e) {
      this.lastError = String((e as Error)?.message ?? e);
      // the wasm loader's message stays on `cause` and in `lastError` (logs, status), not in the client's detail
      throw new ProblemError('stage-failed', `onnxruntime-web failed to start (${this.provider.name}). The next request starts a fresh copy.`, {
        extensions: { component: 'onnxruntime-web' },
        cause: e,
      });
    }
  }
}
