/**
 * Inflation of a weight-stripped look-alike: every weight that the stripper replaced by a `ConstantOfShape` node
 * (shape from an initializer, output named like the original initializer) becomes an initializer again, of the
 * same name, shape and dtype, filled with deterministic pseudo-random values. The file then has the real size and
 * loads like the real model; its outputs still mean nothing.
 *
 * Values are chosen so that activations stay finite and in the range the original random-weight export had:
 *  - int8/uint8 weights keep the graph's own scale and zero point (the `*_scale` / `*_zero_point` initializers the
 *    stripper left): q = zero_point + round(28 · g) clamped to the dtype's range, g ≈ N(0, 1) bounded by ±3.5, so
 *    the dequantized weights span about the range the scale was computed for (a Gaussian spans ±4.5σ of 255 steps);
 *  - float weights read by Conv/MatMul/Gemm as their weight: N(0, 1/fan_in) (variance-preserving);
 *  - float operands of Mul/Div/normalisation scales and variances: 1 + 0.02 · g (never near 0: no blow-up by division);
 *  - other floats (biases, position and token embeddings): 0.02 · g.
 * Generation is a function of the tensor's name and shape only (no clock, no global RNG), so the file's hash is stable.
 */
import { DT, GraphIndex, int64Values, type Model, type Node, onnx, rawTensor, type Tensor } from './proto';

/** FNV-1a over the name, then mulberry32: one independent stream per tensor. */
export function streamFor(name: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  let s = h >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Irwin–Hall(4), centred and scaled to unit variance: bounded (±3.46), cheap, close to a Gaussian. */
export function gauss(u: () => number): () => number {
  return () => (u() + u() + u() + u() - 2) * 1.7320508;
}

type Role = { kind: 'quantized'; zeroPoint: number } | { kind: 'weight'; fanIn: number } | { kind: 'scale' } | { kind: 'offset' };

function scalarOf(t: Tensor | undefined): number | null {
  if (!t) return null;
  if (t.int32Data?.length) return t.int32Data[0];
  if (t.rawData?.length) {
    const v = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return t.dataType === DT.INT8 ? v.getInt8(0) : t.dataType === DT.UINT8 ? v.getUint8(0) : t.dataType === DT.FLOAT ? v.getFloat32(0, true) : null;
  }
  if (t.floatData?.length) return t.floatData[0];
  return null;
}

export interface InflateReport { weights: number; bytes: number; byRole: Record<string, number> }

export function inflateModel(model: Model): InflateReport {
  const g = model.graph!;
  const ix = new GraphIndex(g);
  const constants = new Map<string, Tensor>(ix.initializers);
  for (const n of g.node!) if (n.opType === 'Constant' && n.attribute?.[0]?.t) constants.set(n.output![0], n.attribute[0].t as Tensor);
  const nodes = g.node! as Node[];

  // follow Identity chains: the roles a weight plays are those of its real readers
  const readersOf = (name: string): Array<[Node, number]> => {
    const out: Array<[Node, number]> = [];
    for (const i of ix.readers.get(name) ?? []) {
      const n = nodes[i];
      if (n.opType === 'Identity') out.push(...readersOf(n.output![0]));
      else n.input!.forEach((x, k) => { if (x === name) out.push([n, k]); });
    }
    return out;
  };

  const roleOf = (name: string, dataType: number, dims: number[]): Role => {
    const readers = readersOf(name);
    if (dataType === DT.INT8 || dataType === DT.UINT8) {
      let zp: Tensor | undefined;
      for (const [n, k] of readers) {
        if ((n.opType === 'MatMulInteger' || n.opType === 'ConvInteger') && k === 1) zp = constants.get(n.input![3]);
        if (n.opType === 'DequantizeLinear' && k === 0) zp = constants.get(n.input![2]);
        if (n.opType === 'Gather' && k === 0) {
          for (const [d, j] of readersOf(n.output![0])) if (d.opType === 'DequantizeLinear' && j === 0) zp = constants.get(d.input![2]);
        }
        if (zp) break;
      }
      zp ??= constants.get(name.replace(/_quantized$/, '_zero_point'));
      return { kind: 'quantized', zeroPoint: scalarOf(zp) ?? (dataType === DT.UINT8 ? 128 : 0) };
    }
    for (const [n, k] of readers) {
      if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && k === 1) return { kind: 'weight', fanIn: dims.slice(1).reduce((a, b) => a * b, 1) };
      if ((n.opType === 'MatMul' || n.opType === 'Gemm') && k === 1) return { kind: 'weight', fanIn: dims.length >= 2 ? dims[dims.length - 2] : dims[0] };
      if (n.opType === 'MatMul' && k === 0 && dims.length >= 2) return { kind: 'weight', fanIn: dims[dims.length - 1] };
    }
    for (const [n, k] of readers) {
      if (n.opType === 'Mul' || (n.opType === 'Div' && k === 1) || n.opType === 'Sqrt' || n.opType === 'Pow' || n.opType === 'Log') return { kind: 'scale' };
      if ((n.opType === 'BatchNormalization' && (k === 1 || k === 4)) || (n.opType === 'LayerNormalization' && k === 1) || (n.opType === 'InstanceNormalization' && k === 1)) return { kind: 'scale' };
    }
    return { kind: 'offset' };
  };

  const report: InflateReport = { weights: 0, bytes: 0, byRole: {} };
  const replaced = new Set<number>();
  const added: Tensor[] = [];
  nodes.forEach((n, i) => {
    if (n.opType !== 'ConstantOfShape' || !ix.initializers.has(n.input![0])) return;
    const shape = int64Values(ix.initializers.get(n.input![0])!);
    if (!shape) return;
    const dims = shape.map(Number);
    const value = n.attribute?.find((a) => a.name === 'value')?.t;
    const dataType = value?.dataType ?? DT.FLOAT;
    const name = n.output![0];
    const count = dims.reduce((a, b) => a * b, 1);
    const role = roleOf(name, dataType, dims);
    const rnd = gauss(streamFor(`${name}|${dims.join('x')}`));
    let raw: Uint8Array;
    if (dataType === DT.INT8 || dataType === DT.UINT8) {
      const zp = role.kind === 'quantized' ? role.zeroPoint : 0;
      const [lo, hi] = dataType === DT.INT8 ? [-127, 127] : [0, 255];
      const q = dataType === DT.INT8 ? new Int8Array(count) : new Uint8Array(count);
      for (let j = 0; j < count; j++) q[j] = Math.min(hi, Math.max(lo, zp + Math.round(28 * rnd())));
      raw = new Uint8Array(q.buffer);
    } else if (dataType === DT.FLOAT) {
      const f = new Float32Array(count);
      const [mean, std] = role.kind === 'weight' ? [0, 1 / Math.sqrt(Math.max(1, role.fanIn))] : role.kind === 'scale' ? [1, 0.02] : [0, 0.02];
      for (let j = 0; j < count; j++) f[j] = mean + std * rnd();
      raw = new Uint8Array(f.buffer);
    } else if (dataType === DT.INT64 || dataType === DT.BOOL || dataType === DT.INT32) {
      // no stripped look-alike has integer weights; keep the stripper's fill (zeros) rather than invent indices
      raw = new Uint8Array(count * (dataType === DT.INT64 ? 8 : dataType === DT.INT32 ? 4 : 1));
    } else {
      throw new Error(`cannot inflate ${name}: dtype ${dataType}`);
    }
    added.push(rawTensor(name, dataType, dims, raw));
    replaced.add(i);
    report.weights++;
    report.bytes += raw.length;
    report.byRole[role.kind] = (report.byRole[role.kind] ?? 0) + 1;
  });
  g.node = nodes.filter((_, i) => !replaced.has(i));
  const read = new Set(g.node.flatMap((n) => n.input ?? []));
  for (const o of g.output!) read.add(o.name!);
  g.initializer = [...g.initializer!.filter((t) => read.has(t.name!)), ...added];
  return report;
}

export { onnx };
