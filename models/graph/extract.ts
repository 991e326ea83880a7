/**
 * Subgraph extraction (what onnx.utils.extract_model does): the nodes needed to compute the named outputs from the
 * named inputs, with the initializers and Constant nodes they read. A named input may be any value of the graph (a
 * graph input or an intermediate tensor); every path from an output back to the graph's inputs must pass through
 * one of them, else the extraction names the graph input it would silently need.
 */
import { valueTypes } from './dtypes';
import { type DimValue, encodeModel, GraphIndex, type Model, type Node, onnx, valueInfo, type ValueInfo } from './proto';

export interface TensorShape { name: string; shape?: DimValue[] }

export interface ExtractOptions {
  inputs: (string | TensorShape)[];
  outputs: (string | TensorShape)[];
  /** Output renames (old -> new): an Identity node gives the new name, so nothing inside the graph changes. */
  renames?: Record<string, string>;
  graphName?: string;
}

const nameOf = (t: string | TensorShape) => (typeof t === 'string' ? t : t.name);

/** Graph-level value infos by name (inputs, value_info, outputs): the shapes the export stated. */
function knownInfos(model: Model): Map<string, ValueInfo> {
  const g = model.graph!;
  return new Map([...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])].map((v) => [v.name!, v as ValueInfo]));
}

export function extractModel(model: Model, opts: ExtractOptions): Model {
  const g = model.graph!;
  const ix = new GraphIndex(g);
  const types = valueTypes(g);
  const inputNames = new Set(opts.inputs.map(nameOf));
  const outputNames = opts.outputs.map(nameOf);
  for (const n of [...inputNames, ...outputNames]) {
    if (!ix.producer.has(n) && !ix.inputs.has(n) && !ix.initializers.has(n)) throw new Error(`the graph has no tensor named "${n}"`);
  }
  const keep = new Set<number>();
  const stack = [...outputNames];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || inputNames.has(v) || ix.initializers.has(v)) continue;
    seen.add(v);
    const p = ix.producer.get(v);
    if (p === undefined) {
      if (ix.inputs.has(v)) throw new Error(`output(s) ${outputNames.join(', ')} depend on the graph input "${v}", which is not among the inputs`);
      continue; // an optional input left empty
    }
    if (keep.has(p)) continue;
    keep.add(p);
    const n = g.node![p] as Node;
    for (const x of n.input ?? []) if (x) stack.push(x);
  }
  const nodes = [...keep].sort((a, b) => a - b).map((i) => g.node![i] as Node);
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  const infos = knownInfos(model);
  const info = (t: string | TensorShape): ValueInfo => {
    const name = nameOf(t);
    const shape = typeof t === 'string' ? undefined : t.shape;
    const known = infos.get(name);
    if (known && !shape) return onnx.ValueInfoProto.create({ name, type: known.type });
    const type = types.get(name);
    if (type === undefined) throw new Error(`cannot tell the element type of "${name}"`);
    return valueInfo(name, type, shape ?? null);
  };
  const outputs: ValueInfo[] = [];
  const extra: Node[] = [];
  for (const o of opts.outputs) {
    const old = nameOf(o);
    const renamed = opts.renames?.[old];
    const vi = info(o);
    if (renamed && renamed !== old) {
      extra.push(onnx.NodeProto.create({ opType: 'Identity', input: [old], output: [renamed], name: `rename_${renamed}` }));
      vi.name = renamed;
    }
    outputs.push(vi);
  }
  const graph = onnx.GraphProto.create({
    name: opts.graphName ?? g.name,
    node: [...nodes, ...extra],
    initializer: (g.initializer ?? []).filter((t) => read.has(t.name!)),
    input: opts.inputs.filter((t) => read.has(nameOf(t)) || outputNames.includes(nameOf(t))).map(info),
    output: outputs,
  });
  return onnx.ModelProto.create({ ...model, graph, metadataProps: model.metadataProps });
}

export const extractBytes = (model: Model, opts: ExtractOptions): Uint8Array => encodeModel(extractModel(model, opts));
