/**
 * Cuts a graph into contiguous shards in topological order so that each shard's measured peak (create + one run
 * in a fresh ORT copy) stays under a budget. The tensors that cross a cut become the next shards' inputs.
 *
 * How cuts are chosen: a cut "before node p" is crossed by every activation produced before p and read at or after
 * p (Constant nodes and initializers are copied into each shard that reads them, graph inputs are fed to each
 * shard from the chain's feeds: neither crosses). One probe run of the whole graph returns the tensors crossing
 * the cuts with the fewest crossings, which gives their real shapes and values (the values feed the shards when
 * they are measured, so int64 shape tensors are real, not random). Then recursive bisection: measure a range; if
 * it is over budget, cut it where the fewest bytes cross among the cuts near the middle of its weight, and
 * measure both halves. Crossing tensors over `maxCrossBytes` (default 8 MiB, a quarter of the 32 MiB RPC limit)
 * are never cut.
 */
import type { TensorSpec } from '../../shared/onnx/manifest-types';
import type { TensorData } from '../../shared/onnx/tensors';
import { valueTypes } from './dtypes';
import { describeValue, DTYPE_NAME, encodeModel, GraphIndex, type Model, type Node, onnx, tensorBytes, valueInfo, type ValueInfo } from './proto';

export type RunGraph = (bytes: Uint8Array, feeds: Record<string, TensorData>, outputs?: string[]) => Promise<{ outputs: Record<string, TensorData>; peakHeapBytes: number }>;

export interface BuiltShard { index: number; start: number; end: number; bytes: Uint8Array; inputs: TensorSpec[]; outputs: TensorSpec[]; peakHeapBytes: number; crossingBytes: number }

export interface ShardOptions {
  budgetBytes: number;
  /**
   * What the runtime admits into one isolate (shared/onnx/budget.ts): the peak heap plus the model file, which JS
   * holds while the session is created. A shard under `budgetBytes` whose sum is over this is cut further.
   */
  isolateBytes?: number;
  /** Whole-graph feeds for the probe run and the measurements. */
  feeds: Record<string, TensorData>;
  run: RunGraph;
  maxCrossBytes?: number;
  /** Tensors probed in one run (each probe returns them all at once). */
  probeBatch?: number;
  /**
   * Whole-graph feeds with other sizes for the graph's free dimensions (e.g. batch 1 where `feeds` has 8): a probe
   * with them tells which dimensions of the crossing tensors vary, and those stay symbolic in the shard files.
   */
  altFeeds?: Record<string, TensorData>;
  /** The name given to such a dimension. */
  dynamicDim?: string;
  /** How many crossing tensors to probe in all (the cheapest cuts first). */
  probeLimit?: number;
  log?: (line: string) => void;
}

const typeName = (t: number): TensorSpec['type'] => {
  const n = DTYPE_NAME[t];
  if (!n || n === 'int8') throw new Error(`a cut tensor of element type ${t} cannot be passed between shards`);
  return n;
};
const bytesOf = (t: TensorData) => t.data.byteLength;

export class GraphCutter {
  readonly g;
  readonly ix: GraphIndex;
  readonly types: Map<string, number>;
  readonly nodes: Node[];
  /** Values every shard may recompute or be fed: initializers, Constant outputs, graph inputs. */
  private readonly free = new Set<string>();
  /** Indices of constant-derived nodes. */
  private readonly constNode = new Set<number>();
  private readonly lastRead = new Map<string, number>();
  private readonly graphOutputs: Set<string>;
  private readonly infos: Map<string, ValueInfo>;
  /** crossing[p]: the activations that cross a cut before node p. */
  readonly crossing: string[][] = [];
  readonly probed = new Map<string, TensorData>();
  /** Shapes of the probed tensors, with the dimensions that vary with the feeds named. */
  readonly shapes = new Map<string, (number | string)[]>();

  constructor(readonly model: Model) {
    this.g = model.graph!;
    this.ix = new GraphIndex(this.g);
    this.types = valueTypes(this.g);
    this.nodes = this.g.node! as Node[];
    for (const n of this.ix.initializers.keys()) this.free.add(n);
    for (const n of this.ix.inputs) this.free.add(n);
    // constant-derived nodes (Constant, and any node reading only initializers and constants: Identity of a shared
    // weight, Cast or Reshape of one) are copied into each shard that needs them instead of crossing a cut
    this.nodes.forEach((n, i) => {
      if (n.opType === 'Constant' || ((n.input ?? []).every((x) => !x || (this.free.has(x) && !this.ix.inputs.has(x))) && (n.input ?? []).length)) {
        this.constNode.add(i);
        for (const o of n.output ?? []) this.free.add(o);
      }
    });
    this.graphOutputs = new Set(this.g.output!.map((o) => o.name!));
    this.infos = new Map([...(this.g.input ?? []), ...(this.g.output ?? [])].map((v) => [v.name!, v as ValueInfo]));
    for (const [v, readers] of this.ix.readers) this.lastRead.set(v, Math.max(...readers));
    for (const o of this.graphOutputs) this.lastRead.set(o, Infinity);
    const live = new Set<string>();
    for (let p = 0; p <= this.nodes.length; p++) {
      this.crossing.push([...live]);
      if (p === this.nodes.length) break;
      for (const o of this.nodes[p].output ?? []) if (o && !this.free.has(o) && (this.lastRead.get(o) ?? -1) > p) live.add(o);
      for (const v of [...live]) if ((this.lastRead.get(v) ?? -1) <= p) live.delete(v);
    }
  }

  /** Cut positions worth considering: before a non-Constant node, strictly inside the graph. */
  candidates(): number[] {
    const out: number[] = [];
    for (let p = 1; p < this.nodes.length; p++) if (!this.constNode.has(p) && this.crossing[p].length) out.push(p);
    return out;
  }

  /** Runs the whole graph once returning the crossing tensors of the cheapest cuts, to learn their sizes and values. */
  async probe(opts: ShardOptions): Promise<void> {
    const limit = opts.probeLimit ?? 160;
    const order = this.candidates().sort((a, b) => this.crossing[a].length - this.crossing[b].length);
    const want: string[] = [];
    const seen = new Set<string>();
    for (const p of order) {
      const extra = this.crossing[p].filter((v) => !seen.has(v));
      if (want.length + extra.length > limit) continue;
      for (const v of extra) { seen.add(v); want.push(v); }
    }
    const batch = opts.probeBatch ?? 40;
    for (let i = 0; i < want.length; i += batch) {
      const names = want.slice(i, i + batch);
      const m = onnx.ModelProto.create({ ...this.model, graph: { ...this.g, output: [...this.g.output!, ...names.filter((n) => !this.graphOutputs.has(n)).map((n) => valueInfo(n, this.types.get(n)!, null))] } });
      const bytes = encodeModel(m);
      const { outputs } = await opts.run(bytes, opts.feeds, names);
      const alt = opts.altFeeds ? (await opts.run(bytes, opts.altFeeds, names)).outputs : undefined;
      for (const n of names) {
        this.probed.set(n, outputs[n]);
        this.shapes.set(n, outputs[n].dims.map((d, k) => (alt && alt[n].dims[k] !== d ? (opts.dynamicDim ?? 'batch') : d)));
      }
      opts.log?.(`probe: ${Math.min(i + batch, want.length)}/${want.length} crossing tensors`);
    }
  }

  crossBytes(p: number): number | null {
    let sum = 0;
    for (const v of this.crossing[p]) {
      const t = this.probed.get(v);
      if (!t) return null;
      sum += bytesOf(t);
    }
    return sum;
  }

  private spec(name: string): TensorSpec {
    const info = this.infos.get(name);
    if (info) {
      const d = describeValue(info);
      if (d.shape) return { name, type: typeName(d.dataType), shape: d.shape };
    }
    const t = this.probed.get(name);
    if (!t) throw new Error(`no shape known for "${name}"`);
    return { name, type: typeName(this.types.get(name)!), shape: this.shapes.get(name) ?? [...t.dims] };
  }

  /** The graph of nodes [start, end), with the Constant nodes and initializers it reads. */
  build(start: number, end: number): { bytes: Uint8Array; inputs: TensorSpec[]; outputs: TensorSpec[] } {
    const inRange = this.nodes.slice(start, end).filter((_, k) => !this.constNode.has(start + k));
    const produced = new Set(inRange.flatMap((n) => n.output ?? []));
    // the constant-derived nodes this range reads, with what they read in turn
    const needed = new Set<number>();
    const stack = inRange.flatMap((n) => n.input ?? []);
    while (stack.length) {
      const p = this.ix.producer.get(stack.pop()!);
      if (p === undefined || !this.constNode.has(p) || needed.has(p)) continue;
      needed.add(p);
      stack.push(...(this.nodes[p].input ?? []));
    }
    const constants = [...needed].sort((a, b) => a - b).map((i) => this.nodes[i]);
    const body = [...constants, ...inRange];
    const read = new Set(body.flatMap((n) => n.input ?? []).filter(Boolean));
    const constOut = new Set(constants.flatMap((n) => n.output ?? []));
    const inputs = [...read].filter((v) => !produced.has(v) && !this.ix.initializers.has(v) && !constOut.has(v));
    const outputs = [...produced].filter((v) => this.graphOutputs.has(v) || (this.lastRead.get(v) ?? -1) >= end);
    const inSpecs = inputs.map((v) => this.spec(v));
    const outSpecs = outputs.map((v) => this.spec(v));
    const vi = (s: TensorSpec) => valueInfo(s.name, this.types.get(s.name)!, s.shape);
    const graph = onnx.GraphProto.create({
      name: `${this.g.name ?? 'graph'}_${start}_${end}`,
      node: body,
      initializer: (this.g.initializer ?? []).filter((t) => read.has(t.name!)),
      input: inSpecs.map(vi),
      output: outSpecs.map(vi),
    });
    return { bytes: encodeModel(onnx.ModelProto.create({ ...this.model, graph })), inputs: inSpecs, outputs: outSpecs };
  }

  /** Weight bytes first read by each node, plus a fixed share per node for its activations. */
  private costs(): number[] {
    const seen = new Set<string>();
    return this.nodes.map((n) => {
      let c = n.opType === 'Constant' ? 0 : 256 * 1024;
      for (const x of n.input ?? []) {
        const t = this.ix.initializers.get(x);
        if (t && !seen.has(x)) { seen.add(x); c += tensorBytes(t); }
      }
      return c;
    });
  }

  /** The cheapest cut inside (start, end), preferring the middle of the range's cost. */
  chooseCut(start: number, end: number, maxCrossBytes: number): number | null {
    const cost = this.costs();
    const total = cost.slice(start, end).reduce((a, b) => a + b, 0);
    let acc = 0;
    const options: { p: number; frac: number; bytes: number }[] = [];
    for (let p = start + 1; p < end; p++) {
      acc += cost[p - 1];
      if (this.constNode.has(p)) continue;
      const bytes = this.crossBytes(p);
      if (bytes === null || this.crossing[p].some((v) => bytesOf(this.probed.get(v)!) > maxCrossBytes)) continue;
      options.push({ p, frac: acc / total, bytes });
    }
    for (const window of [0.2, 0.35, 0.5]) {
      const near = options.filter((o) => Math.abs(o.frac - 0.5) <= window);
      if (near.length) return near.sort((a, b) => a.bytes - b.bytes || Math.abs(a.frac - 0.5) - Math.abs(b.frac - 0.5))[0].p;
    }
    return null;
  }

  private feedsFor(inputs: TensorSpec[], feeds: Record<string, TensorData>): Record<string, TensorData> {
    return Object.fromEntries(inputs.map((s) => {
      const v = feeds[s.name] ?? this.probed.get(s.name);
      if (!v) throw new Error(`no value to feed "${s.name}" when measuring a shard`);
      return [s.name, v];
    }));
  }

  async plan(opts: ShardOptions): Promise<BuiltShard[]> {
    if (!this.probed.size) await this.probe(opts);
    const maxCross = opts.maxCrossBytes ?? 8 * 2 ** 20;
    const fit = async (start: number, end: number): Promise<Omit<BuiltShard, 'index'>[]> => {
      const built = this.build(start, end);
      const { peakHeapBytes } = await opts.run(built.bytes, this.feedsFor(built.inputs, opts.feeds), built.outputs.map((o) => o.name));
      const crossingBytes = end < this.nodes.length ? (this.crossBytes(end) ?? 0) : 0;
      opts.log?.(`nodes ${start}–${end}: ${(built.bytes.length / 2 ** 20).toFixed(1)} MiB file, peak ${(peakHeapBytes / 2 ** 20).toFixed(1)} MiB`);
      const admitted = opts.isolateBytes === undefined || peakHeapBytes + built.bytes.length <= opts.isolateBytes;
      if (peakHeapBytes <= opts.budgetBytes && admitted) return [{ start, end, ...built, peakHeapBytes, crossingBytes }];
      const cut = this.chooseCut(start, end, maxCross);
      if (cut === null) throw new Error(`nodes ${start}–${end} need ${(peakHeapBytes / 2 ** 20).toFixed(1)} MiB and there is no cut inside them with crossing tensors under ${(maxCross / 2 ** 20).toFixed(0)} MiB`);
      return [...(await fit(start, cut)), ...(await fit(cut, end))];
    };
    return (await fit(0, this.nodes.length)).map((s, index) => ({ index, ...s }));
  }
}
