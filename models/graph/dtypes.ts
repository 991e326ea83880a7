/**
 * Element types of every value in a graph, propagated from its inputs, initializers and Constant nodes. A cut or an
 * extracted subgraph needs the dtype of each tensor that becomes a graph input or output, and exported graphs rarely
 * carry value_info for them. Covers the operators of the look-alike and published exports; an unknown operator
 * whose type cannot be derived is an error naming it, never a guess.
 */
import { describeValue, DT, type Graph, type Node } from './proto';

const BOOL_OPS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);
const INT32_OPS = new Set(['MatMulInteger', 'ConvInteger']);
const FLOAT_OPS = new Set(['DequantizeLinear']);

function attrInt(n: Node, name: string): number | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i != null ? Number(a.i.toString()) : undefined;
}

export function valueTypes(graph: Graph): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const t = describeValue(v as never).dataType;
    if (t) types.set(v.name!, t);
  }
  for (const t of graph.initializer ?? []) types.set(t.name!, t.dataType ?? DT.FLOAT);
  for (const n of graph.node! as Node[]) {
    const ins = (n.input ?? []).map((x) => (x ? types.get(x) : undefined));
    const first = ins.find((t) => t !== undefined);
    const outs = n.output ?? [];
    const set = (i: number, t: number | undefined) => {
      if (!outs[i]) return;
      if (t === undefined) throw new Error(`cannot tell the element type of "${outs[i]}" (${n.opType} node ${n.name})`);
      if (!types.has(outs[i])) types.set(outs[i], t);
    };
    switch (n.opType) {
      case 'Constant': set(0, n.attribute?.[0]?.t?.dataType ?? (n.attribute?.[0]?.name?.startsWith('value_int') ? DT.INT64 : DT.FLOAT)); break;
      case 'ConstantOfShape': set(0, n.attribute?.find((a) => a.name === 'value')?.t?.dataType ?? DT.FLOAT); break;
      case 'Cast': set(0, attrInt(n, 'to')); break;
      case 'DynamicQuantizeLinear': set(0, DT.UINT8); set(1, DT.FLOAT); set(2, DT.UINT8); break;
      case 'QuantizeLinear': set(0, ins[2] ?? DT.UINT8); break;
      case 'Where': set(0, ins[1] ?? ins[2]); break;
      case 'TopK': set(0, ins[0]); set(1, DT.INT64); break;
      case 'Range': set(0, first); break;
      case 'EyeLike': case 'RandomNormalLike': case 'RandomUniformLike': set(0, attrInt(n, 'dtype') ?? ins[0]); break;
      default:
        if (BOOL_OPS.has(n.opType!)) set(0, DT.BOOL);
        else if (INT64_OPS.has(n.opType!)) set(0, DT.INT64);
        else if (INT32_OPS.has(n.opType!)) set(0, DT.INT32);
        else if (FLOAT_OPS.has(n.opType!)) set(0, DT.FLOAT);
        else outs.forEach((_, i) => set(i, n.opType === 'LayerNormalization' || n.opType === 'BatchNormalization' || i === 0 ? first : (types.get(outs[i]) ?? first)));
    }
  }
  return types;
}
