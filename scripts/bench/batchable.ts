/// <reference types="node" />
/**
 * Look-alike graphs with a free batch dimension. The look-alikes were exported with fixed shapes: the CLIP text
 * tower takes `input_ids [1, 77]` and OWL-ViT B/32 takes exactly two queries (`input_ids [2, 16]`), with those
 * sizes baked into Reshape constants (`[1, 77, -1, 64]`, `[2, 16, -1, 64]`, `[1, 2, 512]`, ...). The real stages
 * run the text tower on all expressions x templates in one batch and OWL-ViT on all of a post's queries in one run,
 * so the pipeline bench needs those batches. This rewrites only shape metadata, never compute:
 *  - the named inputs' first dimension becomes symbolic (`batch`);
 *  - each listed Reshape target is replaced by one that copies (0) or infers (-1) the batch dimension
 *    (ONNX Reshape with allowzero = 0: a 0 copies the input's dimension at that index);
 *  - the text towers' EOT pooling multiplies a baked-in `arange(batch)` by the sequence length to index the
 *    flattened hidden states; that constant operand of the listed Mul nodes becomes `Range(0, batch, 1)` computed
 *    from the first input's shape;
 *  - value_info and the outputs' fixed sizes are dropped (they state the old batch).
 * `verify` runs the result at the requested batch sizes in onnxruntime-web and checks the output shapes, so a
 * rewrite that missed a baked-in size fails here instead of inside the benchmark.
 */
import { createRequire } from 'node:module';
import type { Ort } from '../../shared/onnx/ort-types';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

export interface BatchableRecipe {
  /** Inputs whose first dimension becomes `batch`. */
  inputs: string[];
  /** Reshape targets to replace, as comma-joined constants ("2,16,-1,64" -> "0,0,-1,64"). */
  reshapes: Record<string, string>;
  /** Other int64 constants to replace wherever a node reads them (the causal mask's expand shape [batch, -1, L, L]). */
  values?: Record<string, string>;
  /** Mul nodes whose constant operand is arange(fixed batch) (the EOT pooling offsets). */
  batchRanges: string[];
}

/** CLIP-B/32 text tower look-alike, input_ids [1, 77] -> [batch, 77]. */
export const CLIP_TEXT_RECIPE: BatchableRecipe = {
  inputs: ['input_ids'],
  reshapes: { '1,77,-1,64': '0,0,-1,64', '1,77,-1': '0,0,-1' },
  batchRanges: ['/mods.0/text_model/Mul_1'],
};

/** OWL-ViT B/32 look-alike, two queries -> any number: text-tower reshapes, and the [1, queries, ...] views of the heads. */
export const OWLVIT_RECIPE: BatchableRecipe = {
  inputs: ['input_ids', 'attention_mask'],
  reshapes: { '2,16,-1,64': '0,0,-1,64', '2,16,-1': '0,0,-1', '1,2,16': '1,-1,16', '1,2,512': '1,-1,512' },
  // [2, -1, 16, 16] -> [1, -1, 16, 16]: the causal mask then broadcasts over any number of queries
  values: { '2,-1,16,16': '1,-1,16,16' },
  batchRanges: ['/mods.0/owlvit/text_model/Mul', '/mods.0/owlvit/text_model/Mul_2'],
};

type Tensor = InstanceType<typeof onnx.TensorProto>;

function int64Values(t: Tensor): bigint[] | null {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) return null;
  if (t.int64Data && t.int64Data.length) return t.int64Data.map((v) => BigInt(v.toString()));
  if (t.rawData && t.rawData.length) {
    const b = t.rawData;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: b.byteLength / 8 }, (_, i) => view.getBigInt64(i * 8, true));
  }
  return null;
}

function int64Tensor(name: string, values: bigint[], dims: number[] = [values.length]): Tensor {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims, rawData: raw });
}

/** Returns the rewritten model and how many Reshape nodes each rule changed (every rule must match at least once). */
export function makeBatchable(bytes: Uint8Array, recipe: BatchableRecipe): { bytes: Uint8Array; rewritten: Record<string, number> } {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph!;
  for (const name of recipe.inputs) {
    const input = g.input!.find((i) => i.name === name);
    if (!input) throw new Error(`the graph has no input ${name}`);
    const dim = input.type!.tensorType!.shape!.dim![0];
    input.type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch', denotation: dim.denotation ?? '' });
  }
  for (const o of g.output!) {
    const shape = o.type?.tensorType?.shape;
    if (shape) shape.dim = shape.dim!.map((_, i) => onnx.TensorShapeProto.Dimension.create({ dimParam: `${o.name}_${i}` }));
  }
  g.valueInfo = [];

  const constants = new Map<string, Tensor>();
  for (const n of g.node!) if (n.opType === 'Constant' && n.attribute?.[0]?.t) constants.set(n.output![0], n.attribute[0].t as Tensor);
  for (const t of g.initializer!) constants.set(t.name!, t as Tensor);

  const rewritten: Record<string, number> = Object.fromEntries([...Object.keys(recipe.reshapes), ...Object.keys(recipe.values ?? {})].map((k) => [k, 0]));
  let added = 0;
  for (const n of g.node!) {
    for (const [i, input] of n.input!.entries()) {
      const c = constants.get(input);
      const values = c ? int64Values(c) : null;
      const target = values ? recipe.values?.[values.join(',')] : undefined;
      if (target === undefined || n.opType === 'Constant') continue;
      const name = `bench_batchable_value_${added++}`;
      g.initializer!.push(int64Tensor(name, target.split(',').map((v) => BigInt(v)), [...(c!.dims ?? [])].map(Number)));
      n.input![i] = name;
      rewritten[values!.join(',')]++;
    }
    if (n.opType !== 'Reshape') continue;
    const shape = constants.get(n.input![1]);
    const values = shape ? int64Values(shape) : null;
    if (!values) continue;
    const key = values.join(',');
    const target = recipe.reshapes[key];
    if (target === undefined) continue;
    const name = `bench_batchable_shape_${added++}`;
    g.initializer!.push(int64Tensor(name, target.split(',').map((v) => BigInt(v))));
    n.input![1] = name;
    rewritten[key]++;
  }
  if (recipe.batchRanges.length) {
    // arange(batch) from the first listed input: Shape -> Gather(0) -> Range(0, batch, 1), placed before every other node
    const p = 'bench_batch_range';
    g.initializer!.push(int64Tensor(`${p}_zero`, [0n], []), int64Tensor(`${p}_one`, [1n], []));
    const prologue = [
      onnx.NodeProto.create({ name: `${p}_shape`, opType: 'Shape', input: [recipe.inputs[0]], output: [`${p}_shape_out`] }),
      onnx.NodeProto.create({ name: `${p}_batch`, opType: 'Gather', input: [`${p}_shape_out`, `${p}_zero`], output: [`${p}_batch_out`], attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })] }),
      onnx.NodeProto.create({ name: `${p}_range`, opType: 'Range', input: [`${p}_zero`, `${p}_batch_out`, `${p}_one`], output: [`${p}_out`] }),
    ];
    for (const name of recipe.batchRanges) {
      const node = g.node!.find((n) => n.name === name);
      if (!node || node.opType !== 'Mul') throw new Error(`the graph has no Mul node ${name}`);
      const at = node.input!.findIndex((i) => {
        const v = constants.get(i);
        const vals = v ? int64Values(v) : null;
        return vals !== null && vals.every((x, k) => x === BigInt(k));
      });
      if (at === -1) throw new Error(`${name} has no arange constant operand`);
      // keep the constant's layout (e.g. [2, 1] for a column of offsets): reshape the range to it, batch axis -1
      const dims = [...(constants.get(node.input![at])!.dims ?? [])].map(Number);
      const axis = dims.findIndex((d) => d !== 1);
      const shape = dims.length ? dims.map((d, k) => (k === (axis === -1 ? 0 : axis) ? -1n : BigInt(d))) : [];
      const k = added++;
      if (shape.length) {
        g.initializer!.push(int64Tensor(`${p}_shape_${k}`, shape));
        prologue.push(onnx.NodeProto.create({ name: `${p}_view_${k}`, opType: 'Reshape', input: [`${p}_out`, `${p}_shape_${k}`], output: [`${p}_view_${k}_out`] }));
        node.input![at] = `${p}_view_${k}_out`;
      } else {
        node.input![at] = `${p}_out`;
      }
      rewritten[name] = 1;
    }
    g.node = [...prologue, ...g.node!];
  }
  // drop what the rewrite left unread (the old shape constants), or ORT warns about each one
  const read = new Set(g.node!.flatMap((n) => n.input!));
  for (const o of g.output!) read.add(o.name!);
  g.node = g.node!.filter((n) => n.opType !== 'Constant' || n.output!.some((o) => read.has(o)));
  g.initializer = g.initializer!.filter((t) => read.has(t.name!));
  const missed = Object.entries(rewritten).filter(([, c]) => c === 0).map(([k]) => k);
  if (missed.length) throw new Error(`no Reshape to [${missed.join('], [')}] in the graph: not the look-alike this recipe is for`);
  return { bytes: onnx.ModelProto.encode(model).finish(), rewritten };
}

/** Runs the rewritten graph at each batch size and checks that every output's shape follows `expect(batch)`. */
export async function verifyBatchable(
  ort: Ort, bytes: Uint8Array, batches: number[], feeds: (batch: number) => Record<string, { type: 'int64' | 'float32'; data: BigInt64Array | Float32Array; dims: number[] }>,
  expect: (batch: number) => Record<string, number[]>,
): Promise<void> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], enableCpuMemArena: false, enableMemPattern: false });
  try {
    for (const b of batches) {
      const f = Object.fromEntries(Object.entries(feeds(b)).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
      const out = await session.run(f);
      for (const [name, dims] of Object.entries(expect(b))) {
        const got = out[name]?.dims;
        if (!got || got.join(',') !== dims.join(',')) throw new Error(`batch ${b}: output ${name} is [${got}], expected [${dims}]`);
      }
    }
  } finally {
    await session.release();
  }
}
