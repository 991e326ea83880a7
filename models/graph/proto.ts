/// <reference types="node" />
/**
 * onnx-proto (protobufjs) access for the graph tools: decode/encode, the tensors and value infos they build,
 * and the graph queries every tool needs (who produces a value, who reads it, which values are constant).
 * Node-only: protobufjs probes with eval, which is why the Worker-side writer (shared/onnx/onnx-writer.ts) is separate.
 */
import { createRequire } from 'node:module';

export const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

export type Model = InstanceType<typeof onnx.ModelProto>;
type O = typeof import('onnx-proto').onnx;
export type Graph = import('onnx-proto').onnx.IGraphProto;
export type Node = import('onnx-proto').onnx.INodeProto;
export type Tensor = import('onnx-proto').onnx.ITensorProto;
export type ValueInfo = import('onnx-proto').onnx.IValueInfoProto;
export type { O };

export const DT = onnx.TensorProto.DataType;

export const decodeModel = (bytes: Uint8Array): Model => onnx.ModelProto.decode(bytes);
export const encodeModel = (m: Model): Uint8Array => onnx.ModelProto.encode(m).finish();

/** Bytes per element of the dtypes these graphs carry (0 for an unknown one). */
export function elemBytes(dataType: number): number {
  switch (dataType) {
    case DT.FLOAT: case DT.INT32: case DT.UINT32: return 4;
    case DT.UINT8: case DT.INT8: case DT.BOOL: return 1;
    case DT.INT64: case DT.DOUBLE: case DT.UINT64: return 8;
    case DT.FLOAT16: case DT.INT16: case DT.UINT16: return 2;
    default: return 0;
  }
}

export const DTYPE_NAME: Record<number, 'float32' | 'int64' | 'int32' | 'uint8' | 'bool' | 'int8'> = {
  [DT.FLOAT]: 'float32', [DT.INT64]: 'int64', [DT.INT32]: 'int32', [DT.UINT8]: 'uint8', [DT.BOOL]: 'bool', [DT.INT8]: 'int8',
};

export function int64Values(t: Tensor): bigint[] | null {
  if (t.dataType !== DT.INT64) return null;
  if (t.int64Data && t.int64Data.length) return t.int64Data.map((v) => BigInt(v.toString()));
  const b = t.rawData;
  if (!b) return [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.byteLength / 8 }, (_, i) => view.getBigInt64(i * 8, true));
}

export function rawTensor(name: string, dataType: number, dims: number[], raw: Uint8Array): Tensor {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}

export function int64Tensor(name: string, values: (number | bigint)[], dims: number[] = [values.length]): Tensor {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return rawTensor(name, DT.INT64, dims, raw);
}

export function floatTensor(name: string, values: Float32Array | number[], dims: number[] = [values.length]): Tensor {
  const f = Float32Array.from(values);
  return rawTensor(name, DT.FLOAT, dims, new Uint8Array(f.buffer));
}

export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, number | number[] | Tensor | string> = {}): Node {
  const attribute = Object.entries(attrs).map(([k, v]) => {
    const A = onnx.AttributeProto.AttributeType;
    if (typeof v === 'number') return Number.isInteger(v) ? onnx.AttributeProto.create({ name: k, type: A.INT, i: v }) : onnx.AttributeProto.create({ name: k, type: A.FLOAT, f: v });
    if (typeof v === 'string') return onnx.AttributeProto.create({ name: k, type: A.STRING, s: new TextEncoder().encode(v) });
    if (Array.isArray(v)) return onnx.AttributeProto.create({ name: k, type: A.INTS, ints: v });
    return onnx.AttributeProto.create({ name: k, type: A.TENSOR, t: v });
  });
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute });
}

export type DimValue = number | string;

export function valueInfo(name: string, dataType: number, shape: DimValue[] | null): ValueInfo {
  const tensorType: Record<string, unknown> = { elemType: dataType };
  if (shape) tensorType.shape = onnx.TensorShapeProto.create({ dim: shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })) });
  return onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create(tensorType) }) });
}

/** A value info's dtype and shape (null where the graph does not say). */
export function describeValue(v: ValueInfo): { dataType: number; shape: DimValue[] | null } {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim;
  return {
    dataType: tt?.elemType ?? 0,
    shape: dims ? dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue != null && String(d.dimValue) !== '0' ? Number(d.dimValue.toString()) : d.dimParam || '?')) : null,
  };
}

export function tensorBytes(t: Tensor): number {
  if (t.rawData?.length) return t.rawData.length;
  const n = (t.dims ?? []).reduce((a: number, d) => a * Number(d.toString()), 1);
  return n * elemBytes(t.dataType ?? 0);
}

/** Producer and readers of every value; subgraph attributes (If/Loop bodies) count as reads of their outer names. */
export class GraphIndex {
  readonly producer = new Map<string, number>();
  readonly readers = new Map<string, number[]>();
  readonly initializers = new Map<string, Tensor>();
  readonly inputs: Set<string>;
  constructor(readonly graph: Graph) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name!, t as Tensor);
    this.inputs = new Set((graph.input ?? []).map((i) => i.name!).filter((n) => !this.initializers.has(n)));
    graph.node!.forEach((n, i) => {
      for (const o of n.output ?? []) if (o) this.producer.set(o, i);
      for (const x of nodeReads(n as Node)) {
        if (!x) continue;
        const r = this.readers.get(x) ?? [];
        r.push(i);
        this.readers.set(x, r);
      }
    });
  }
}

/** Every value a node reads, including the outer-scope names its subgraphs (If/Loop/Scan bodies) use. */
export function nodeReads(n: Node): string[] {
  const reads = [...(n.input ?? [])];
  for (const a of n.attribute ?? []) {
    for (const g of [a.g, ...(a.graphs ?? [])]) {
      if (!g) continue;
      const local = new Set<string>([...(g.input ?? []).map((i) => i.name!), ...(g.initializer ?? []).map((t) => t.name!)]);
      for (const inner of g.node ?? []) {
        for (const x of nodeReads(inner as Node)) if (x && !local.has(x)) reads.push(x);
        for (const o of inner.output ?? []) local.add(o);
      }
    }
  }
  return reads;
}
