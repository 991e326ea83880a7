/**
 * Row tiling of a convolutional prefix, for layers whose single activations are too large for one isolate (the
 * MobileSAM encoder's stem and first stage at 1024²: 64 MiB tensors, so one depthwise conv alone needs > 128 MiB).
 * The prefix from `input` to `output` (only spatially local operators: convolutions and elementwise ops) is copied
 * once per horizontal strip of the input: each copy reads its strip plus `halo` rows on each side (Slice), and its
 * result is cropped to the strip's own rows; a Concat rebuilds `output`. With the halo at least the prefix's
 * receptive-field radius and strip edges on multiples of the prefix's total stride, the result is the same
 * computation (convolution zero-padding applies only at the real image border). The tiled graph is still one graph:
 * the shard planner then cuts between the strips, so each strip runs in its own isolate.
 */
import { GraphIndex, int64Tensor, type Model, type Node, onnx } from './proto';

const LOCAL = new Set(['Conv', 'Add', 'Sub', 'Mul', 'Div', 'Erf', 'Relu', 'Sigmoid', 'Tanh', 'BatchNormalization', 'Identity', 'Constant', 'Clip', 'HardSigmoid', 'HardSwish']);

export interface TileOptions { input: string; output: string; tiles: number; halo: number; stride: number; height: number; axis?: number }

export function tileRows(model: Model, o: TileOptions): void {
  const g = model.graph!;
  const ix = new GraphIndex(g);
  const axis = o.axis ?? 2;
  const rows = o.height / o.tiles;
  if (!Number.isInteger(rows) || rows % o.stride || o.halo % o.stride) throw new Error(`strips of ${rows} rows and a halo of ${o.halo} must be multiples of the stride ${o.stride}`);
  // the prefix: nodes between input and output
  const prefix = new Set<number>();
  const stack = [o.output];
  while (stack.length) {
    const v = stack.pop()!;
    if (v === o.input) continue;
    const p = ix.producer.get(v);
    if (p === undefined || prefix.has(p)) continue;
    const n = g.node![p] as Node;
    if (!LOCAL.has(n.opType!) && !(n.input ?? []).every((x) => !x || ix.initializers.has(x))) throw new Error(`${n.opType} node ${n.name} is not spatially local: cannot tile through it`);
    prefix.add(p);
    stack.push(...(n.input ?? []));
  }
  const produced = new Set([...prefix].flatMap((i) => g.node![i].output ?? []));
  for (const [i, n] of g.node!.entries()) {
    if (prefix.has(i)) continue;
    const leak = (n.input ?? []).find((x) => produced.has(x) && x !== o.output);
    if (leak) throw new Error(`${leak} is read after the tiled prefix by ${n.name}: not a prefix that can be tiled`);
  }
  const order = [...prefix].sort((a, b) => a - b).map((i) => g.node![i] as Node);
  const added: Node[] = [];
  const parts: string[] = [];
  for (let k = 0; k < o.tiles; k++) {
    const start = Math.max(0, k * rows - o.halo), end = Math.min(o.height, (k + 1) * rows + o.halo);
    const t = `tile${k}`;
    g.initializer!.push(int64Tensor(`${t}_in_start`, [start]), int64Tensor(`${t}_in_end`, [end]), int64Tensor(`${t}_axis`, [axis]),
      int64Tensor(`${t}_out_start`, [(k * rows - start) / o.stride]), int64Tensor(`${t}_out_end`, [(k * rows - start + rows) / o.stride]));
    added.push(onnx.NodeProto.create({ opType: 'Slice', name: `${t}_in`, input: [o.input, `${t}_in_start`, `${t}_in_end`, `${t}_axis`], output: [`${o.input}__${t}`] }));
    const rename = (x: string) => (x === o.input ? `${o.input}__${t}` : produced.has(x) ? `${x}__${t}` : x);
    for (const n of order) added.push(onnx.NodeProto.create({ ...n, name: `${n.name}__${t}`, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) }));
    added.push(onnx.NodeProto.create({ opType: 'Slice', name: `${t}_out`, input: [`${o.output}__${t}`, `${t}_out_start`, `${t}_out_end`, `${t}_axis`], output: [`${o.output}__${t}_rows`] }));
    parts.push(`${o.output}__${t}_rows`);
  }
  added.push(onnx.NodeProto.create({ opType: 'Concat', name: 'tiles_concat', input: parts, output: [o.output], attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis })] }));
  // the copies go where the prefix was: after the input's producer, before the first reader of the output
  const first = Math.min(...prefix);
  g.node = [...g.node!.slice(0, first).filter((_, i) => !prefix.has(i)), ...added, ...g.node!.slice(first).filter((_, i) => !prefix.has(first + i))];
}
