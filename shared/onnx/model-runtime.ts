/**
 * What stages call: `run(modelId, feeds)`. Sessions are created on first use (never at module scope), once per
 * isolate even when concurrent requests race for the same model, after the memory budget has admitted the model
 * and before anything is downloaded; a failed load is forgotten so the next request retries it.
 *
 * No single request may leave the isolate unable to serve the next one. wasm memory never shrinks, so a run
 * that grows ORT's heap keeps it grown: a failed run on an oversized batch left 245 MB behind, and every model
 * not yet loaded was refused (model-over-budget) until the process restarted. So after a failed run that grew
 * the heap, or any run that leaves the heap over the budget, the runtime drops that ORT copy with its sessions
 * (`recycle`); the next run starts a fresh copy and reloads what it needs.
 */
import { ProblemError } from '../problems';
import type { ModelStore } from '../store/model-store';
import type { MemoryBudget } from './budget';
import { checkFeeds, checkSessionContract } from './contract';
import { HopLog } from './hops';
import type { ModelEntry } from './manifest-types';
import { parseShardId, shardEntry, type ModelParts } from './model-parts';
import { modelStatus, type ModelStatus, type RuntimeDescription } from './model-status';
import { OrtRuntime } from './ort-runtime';
import type { OrtInstance, OrtProvider, OrtSession } from './ort-types';
import { remoteModel } from './remote-model';
import { runInSubBatches } from './sub-batch';
import type { TensorData, TensorType } from './tensors';

export interface ModelRuntimeOptions {
  /** The entries of the configured set (MODEL_SET); a promise because fixture hashes are computed on demand. */
  entries: ModelEntry[] | Promise<ModelEntry[]>;
  set: string;
  store: ModelStore;
  provider: OrtProvider;
  budget: MemoryBudget;
  /** Workers hosting whole models or their shards (service bindings); a model found there never loads here. */
  parts?: ModelParts;
  /** Deadline of one call to a part or shard Worker (default 60 s). */
  partTimeoutMs?: number;
  /**
   * Whether `warm` may call the Workers hosting a model (one invocation each). Off where the deployment's plan has
   * no room for them under the platform's 32 invocations per request (infra/invocations.ts); the first run then
   * creates the session instead.
   */
  warmParts?: boolean;
}

/** A session with the ORT copy it was created in (tensors are made with that copy's Tensor class). */
interface Loaded { entry: ModelEntry; session: OrtSession; inst: OrtInstance; generation: number }

/** What a queued run answers when its session belonged to an ORT copy dropped while it waited. */
const STALE = Symbol('stale session');

/** ORT's messages carry its build paths; clients get what kind of failure it was, the logs get the message. */
function describeOrtFailure(e: unknown): string {
  const m = String((e as Error)?.message ?? e);
  if (/overflow|too large|bad_alloc|out of memory|OOM|Cannot enlarge memory|memory access out of bounds/i.test(m)) return 'the inputs are too large for the runtime';
  return 'onnxruntime-web reported an error (in the logs under this request id)';
}

const shapes = (feeds: Record<string, TensorData>) => Object.entries(feeds).map(([k, t]) => `${k} [${t.dims.join('×')}]`).join(', ');

export class ModelRuntime {
  readonly ort: OrtRuntime;
  private sessions = new Map<string, Promise<Loaded>>();
  private states = new Map<string, { state: 'loading' | 'loaded' | 'failed'; error?: string }>();
  /** Sessions created so far, for status and tests (stays at one per model however many requests race). */
  sessionsCreated = 0;
  /** Session runs here (a call given more rows than its entry's measured batch makes several), for tests. */
  sessionRuns = 0;
  /** ORT copies dropped after a run left them holding memory (see the top of this file). */
  recycles = 0;
  /** Every call to a part or shard Worker: caller and callee time, bytes each way (hops.ts). */
  readonly hops = new HopLog();
  /** Bumped when the ORT copy is dropped; sessions of an older generation are never run again. */
  private generation = 0;

  constructor(private readonly opts: ModelRuntimeOptions) {
    this.ort = new OrtRuntime(opts.provider);
  }

  get store(): ModelStore {
    return this.opts.store;
  }

  async entry(id: string): Promise<ModelEntry> {
    const entries = await this.opts.entries;
    const e = entries.find((x) => x.id === id) ?? this.shardOf(entries, id);
    if (!e) throw new ProblemError('internal', `No model "${id}" in the "${this.opts.set}" model set (MODEL_SET).`, { extensions: { model: id } });
    return e;
  }

  /** `model#shardN` of a sharded entry: what a shard Worker serves. */
  private shardOf(entries: ModelEntry[], id: string): ModelEntry | undefined {
    const s = parseShardId(id);
    const whole = s && entries.find((x) => x.id === s.model);
    return whole?.shards?.shards.some((x) => x.index === s!.index) ? shardEntry(whole, s!.index) : undefined;
  }

  private remoteModel(entry: ModelEntry) {
    return remoteModel(entry, this.opts.parts, this.hops, this.opts.partTimeoutMs);
  }

  /** Runs a model on plain tensors; feeds are checked against the manifest contract first. */
  async run(id: string, feeds: Record<string, TensorData>, outputNames?: string[]): Promise<Record<string, TensorData>> {
    const entry = await this.entry(id);
    const remote = this.remoteModel(entry);
    if (remote) {
      checkFeeds(entry, feeds);
      return remote(feeds, outputNames);
    }
    // A session dropped while this run waited in the queue is reloaded in the fresh copy, once.
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(id);
      checkFeeds(loaded.entry, feeds);
      // more rows than the memory figure was measured at run as sub-batches, so the peak stays the measured one
      const out = await runInSubBatches(loaded.entry, feeds, async (f) => {
        const r = await this.oneAtATime(() => this.runLoaded(id, loaded, f, outputNames));
        return r === STALE ? null : r;
      });
      if (out) return out;
      if (attempt >= 2) throw new ProblemError('stage-failed', `Model "${id}" could not run: the runtime was restarted while the run waited.`, { extensions: { model: id } });
    }
  }

  /** One run, inside the run queue: nothing else runs on this ORT copy meanwhile, so heap growth is this run's. */
  private async runLoaded(id: string, { session, inst, generation }: Loaded, feeds: Record<string, TensorData>, outputNames?: string[]) {
    if (generation !== this.generation) return STALE;
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new inst.ort.Tensor(t.type, t.data, t.dims)]));
    const before = this.ort.heapBytes();
    this.sessionRuns++;
    let out;
    try {
      out = await (outputNames ? session.run(ortFeeds, outputNames) : session.run(ortFeeds));
    } catch (e) {
      const grewTo = this.ort.heapBytes();
      const restarted = grewTo > before;
      if (restarted) this.recycleAfterRun();
      const after = restarted ? ` The run grew the runtime's memory to ${(grewTo / 2 ** 20).toFixed(1)} MB, so that runtime was dropped: the next request starts a fresh one.` : '';
      throw new ProblemError('stage-failed', `Model "${id}" failed to run on ${shapes(feeds)}: ${describeOrtFailure(e)}.${after}`, {
        extensions: { model: id, ...(restarted ? { runtime_restarted: true } : {}) },
        cause: e,
      });
    }
    // Outputs are copied out of the wasm heap, so they outlive a recycle.
    const result = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type as TensorType, data: t.data as TensorData['data'], dims: t.dims }]));
    if (this.ort.heapBytes() > this.opts.budget.limitBytes) this.recycleAfterRun();
    return result;
  }

  private recycleAfterRun(): void {
    this.recycles++;
    void this.recycle();
  }

  /**
   * Drops the ORT copy and every session in it; the next `load` starts a fresh copy with an empty heap. Runs
   * still queued on the old sessions see a newer generation and reload (see `run`).
   */
  private recycle(): Promise<void> {
    this.generation++;
    const old = [...this.sessions.values()];
    this.sessions.clear();
    this.states.clear();
    this.ort.discard();
    return Promise.allSettled(old.map(async (p) => (await p).session.release())).then(() => undefined);
  }

  /**
   * Session runs go one at a time (loads still overlap, so the budget sees them together): the wasm
   * build is single-threaded, so this costs nothing, and two overlapping runs (an image tower and a
   * text tower of one request) were seen to fail inside ORT in workerd ("Cannot read properties of
   * null (reading '3')").
   */
  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const next = this.runQueue.then(work);
    this.runQueue = next.catch(() => undefined);
    return next;
  }

  private runQueue: Promise<unknown> = Promise.resolve();

  /** Warms a model up: creates its session here, or has the Workers hosting it (or its shards) create theirs. */
  async warm(id: string): Promise<void> {
    const remote = this.remoteModel(await this.entry(id));
    if (!remote) {
      await this.load(id);
      return;
    }
    // once per stage isolate: each load() is one more Worker invocation per shard on every request (the platform
    // allows 32 per request), and a piece whose isolate was since evicted loads again on its next run anyway
    if (this.warmedRemote.has(id) || this.opts.warmParts === false) return;
    await remote.load();
    this.warmedRemote.add(id);
  }

  private readonly warmedRemote = new Set<string>();

  /** Loads (or returns the loaded) session; exposed for warm-up at `prepare` time. */
  load(id: string): Promise<Loaded> {
    let p = this.sessions.get(id);
    if (!p) {
      const attempt = this.create(id);
      p = attempt;
      this.sessions.set(id, attempt);
      this.states.set(id, { state: 'loading' });
      // a load that finishes after a recycle belongs to the dropped copy: its state is no longer reported
      attempt.then(
        () => { if (this.sessions.get(id) === attempt) this.states.set(id, { state: 'loaded' }); },
        (e) => {
          if (this.sessions.get(id) !== attempt) return;
          this.sessions.delete(id);
          this.states.set(id, { state: 'failed', error: String((e as Error)?.message ?? e) });
        },
      );
    }
    return p;
  }

  private async create(id: string): Promise<Loaded> {
    const generation = this.generation;
    const entry = await this.entry(id);
    const release = this.opts.budget.admit(this.need(entry), this.ort.heapBytes());
    try {
      // ORT's start-up is CPU work and the download is I/O: overlap them
      const [inst, [graph, ...external]] = await Promise.all([this.ort.ready(), Promise.all(entry.files.map((f) => this.opts.store.load(entry, f)))]);
      let session: OrtSession;
      try {
        session = await inst.ort.InferenceSession.create(graph, {
          executionProviders: inst.executionProviders,
          // arena and memory patterns off (ORT-web 1.30's defaults too): memPattern on grew the wasm heap by 8.8 MiB
          // (MobileCLIP image tower) and 13.9 MiB (SAM decoder) at the second run, and the heap never shrinks.
          // https://onnxruntime.ai/docs/api/js/interfaces/InferenceSession.SessionOptions.html
          enableCpuMemArena: false,
          enableMemPattern: false,
          graphOptimizationLevel: entry.session?.graphOptimizationLevel ?? 'all',
          externalData: external.map((data, i) => ({ path: baseName(entry.files[i + 1].key), data })),
        });
      } catch (e) {
        throw new ProblemError('stage-failed', `Model "${id}": onnxruntime-web could not create a session from ${entry.files[0].key}: ${describeOrtFailure(e)}.`, { extensions: { model: id }, cause: e });
      }
      try {
        checkSessionContract(entry, session);
      } catch (e) {
        await session.release();
        throw e;
      }
      this.sessionsCreated++;
      return { entry, session, inst, generation };
    } finally {
      release();
    }
  }

  /** Extra memory a load takes: the model's peak heap beyond what a started ORT already holds, plus the file in JS. */
  private need(entry: ModelEntry) {
    const base = this.ort.started ? this.ort.baseHeapBytes() : 0;
    const heap = Math.max(0, entry.memory.peakWasmBytes - base);
    const file = entry.files.reduce((a, f) => a + (f.bytes ?? 0), 0);
    return { modelId: entry.id, bytes: heap + file, explain: `peak wasm heap ${(entry.memory.peakWasmBytes / 2 ** 20).toFixed(1)} MB (${entry.memory.basis})${base ? ' less the runtime already started' : ''}, plus the ${(file / 2 ** 20).toFixed(1)} MB file while the session is created` };
  }

  async list(): Promise<ModelStatus[]> {
    return (await this.opts.entries).map((e) => {
      const { state, error } = this.states.get(e.id) ?? { state: 'idle' as const };
      return modelStatus(e, state, this.opts.budget.limitBytes, error);
    });
  }

  describe(): RuntimeDescription {
    return { set: this.opts.set, runtime: this.opts.provider.name, store: this.opts.store.describe(), budget_bytes: this.opts.budget.limitBytes, wasm_heap_bytes: this.ort.heapBytes() };
  }

  /** Releases every session and drops the ORT copy: wasm memory never shrinks, so this is the only way to get it back. */
  async unloadAll(): Promise<void> {
    await this.recycle();
  }
}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);
