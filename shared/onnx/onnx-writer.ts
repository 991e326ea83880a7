/**
 * A minimal ONNX (protobuf) writer: just the ModelProto fields that small hand-built graphs need.
 *
 * Why hand-written: the fixture models and the runtime's warm-up model are generated wherever they are used
 * (in workerd, in Node, in tests) and onnx-proto drags protobufjs (which probes with eval) into the Worker
 * bundle. The Node tests decode this writer's output with onnx-proto to keep it honest.
 * Field numbers are from onnx.proto (ONNX 1.10, IR version 7).
 */
export type ElemType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';
export type Dim = number | string;

const ELEM: Record<ElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Protobuf wire encoding (varint = 0, 32-bit = 5, length-delimited = 2). */
class Writer {
  private chunks: number[] = [];
  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v)); // negative int64 -> ten-byte two's complement, as protobuf requires
    do {
      const byte = Number(n & 0x7fn);
      n >>= 7n;
      this.chunks.push(n ? byte | 0x80 : byte);
    } while (n);
    return this;
  }
  tag(field: number, wire: number): this { return this.varint((field << 3) | wire); }
  int(field: number, v: number | bigint): this { return this.tag(field, 0).varint(v); }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5).chunks.push(...b);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  message(field: number, m: Writer): this { return this.bytes(field, m.finish()); }
  finish(): Uint8Array { return Uint8Array.from(this.chunks); }
}

export interface TensorInit { name: string; type: ElemType; dims: number[]; data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array }

export type AttrValue = number | string | number[] | TensorInit | { float: number } | { floats: number[] };

function tensorProto(t: TensorInit): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ELEM[t.type]).string(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)); // raw_data is little-endian
}

function attribute(name: string, v: AttrValue): Writer {
  const w = new Writer().string(1, name);
  if (typeof v === 'string') return w.string(4, v).int(20, ATTR.STRING);
  if (typeof v === 'number') return Number.isInteger(v) ? w.int(3, v).int(20, ATTR.INT) : w.float(2, v).int(20, ATTR.FLOAT);
  if (Array.isArray(v)) { for (const i of v) w.int(8, i); return w.int(20, ATTR.INTS); }
  if ('float' in v) return w.float(2, v.float).int(20, ATTR.FLOAT);
  if ('floats' in v) { for (const f of v.floats) w.float(7, f); return w.int(20, ATTR.FLOATS); }
  return w.message(5, tensorProto(v)).int(20, ATTR.TENSOR);
}

function valueInfo(name: string, type: ElemType, shape: Dim[]): Writer {
  const dims = new Writer();
  for (const d of shape) dims.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, ELEM[type]).message(2, dims);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

/** Builds one graph; `op` returns the name of the node's (first) output so calls nest naturally. */
export class GraphBuilder {
  private nodes: Writer[] = [];
  private inits: Writer[] = [];
  private inputs: Writer[] = [];
  private outputs: Writer[] = [];
  private counter = 0;
  constructor(readonly name: string) {}

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }
  output(value: string, name: string, type: ElemType, shape: Dim[]): void {
    // an Identity node gives the graph output its contract name whatever produced the value
    this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, type, shape));
  }
  init(t: Omit<TensorInit, 'name'> & { name?: string }): string {
    const name = t.name ?? this.fresh('const');
    this.inits.push(tensorProto({ ...t, name }));
    return name;
  }
  f32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.init({ type: 'float32', dims, data: Float32Array.from(values) });
  }
  i64(values: number[], dims: number[] = [values.length]): string {
    return this.init({ type: 'int64', dims, data: BigInt64Array.from(values.map(BigInt)) });
  }
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    return this.node(opType, inputs, attrs, [out ?? this.fresh(opType)])[0];
  }
  /** For nodes with several outputs (Split); returns all output names. */
  opMulti(opType: string, inputs: string[], outputCount: number, attrs: Record<string, AttrValue> = {}): string[] {
    return this.node(opType, inputs, attrs, Array.from({ length: outputCount }, () => this.fresh(opType)));
  }
  private fresh(prefix: string): string {
    return `${prefix.toLowerCase()}_${this.counter++}`;
  }
  private node(opType: string, inputs: string[], attrs: Record<string, AttrValue>, outputs: string[]): string[] {
    const w = new Writer();
    for (const i of inputs) w.string(1, i);
    for (const o of outputs) w.string(2, o);
    w.string(3, this.fresh('n')).string(4, opType);
    for (const [k, v] of Object.entries(attrs)) w.message(5, attribute(k, v));
    this.nodes.push(w);
    return outputs;
  }

  encode(opset = 13): Uint8Array {
    const g = new Writer();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, this.name);
    for (const t of this.inits) g.message(5, t);
    for (const i of this.inputs) g.message(11, i);
    for (const o of this.outputs) g.message(12, o);
    return new Writer()
      .int(1, 7) // IR version 7: what onnxruntime-web and onnx-proto (ONNX 1.10) both read
      .string(2, 'gmner-fixtures')
      .message(7, g)
      .message(8, new Writer().string(1, '').int(2, opset))
      .finish();
  }
}
