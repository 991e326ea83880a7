/**
 * Runs a model on more rows than its memory figure was measured at without needing more memory than that figure:
 * the rows go through the session `batch.rows` at a time, inside the one call, and the outputs are joined along the
 * batch axis. Activations grow with the rows (the look-alike text tower's shard 2 needs 92 MiB at 8 rows and 203 MiB
 * at 37), so a Worker sized by the measured peak must never run more rows than were measured.
 *
 * Sub-batches start at multiples of `batch.rows`, so every shard of a chain splits the same rows the same way: a
 * value crossing a cut that encodes a row's position in its batch (an `arange(batch)` offset) is produced and read
 * per sub-batch, as if the whole chain ran once per sub-batch. A model whose rows are independent gives the same
 * outputs as one run.
 */
import type { MeasuredBatch, TensorSpec } from './manifest-types';
import type { TensorArray, TensorData } from './tensors';

type Feeds = Record<string, TensorData>;
type Ctor = { new (n: number): TensorArray };

/** Where `dim` is in a tensor of this spec (-1: it has no such axis). */
const axisOf = (specs: TensorSpec[], name: string, dim: string) => specs.find((s) => s.name === name)?.shape.indexOf(dim) ?? -1;

/** Rows [from, to) of `t` along `axis`, copied (a view would send the whole buffer over RPC). */
export function sliceAxis(t: TensorData, axis: number, from: number, to: number): TensorData {
  const dims = [...t.dims];
  const len = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const data = new (t.data.constructor as Ctor)(outer * (to - from) * inner);
  for (let o = 0; o < outer; o++) data.set(t.data.subarray((o * len + from) * inner, (o * len + to) * inner) as never, o * (to - from) * inner);
  dims[axis] = to - from;
  return { type: t.type, data, dims };
}

/** The parts joined along `axis` (their other dimensions agree). */
export function concatAxis(parts: TensorData[], axis: number): TensorData {
  if (parts.length === 1) return parts[0];
  const dims = [...parts[0].dims];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  dims[axis] = parts.reduce((n, p) => n + p.dims[axis], 0);
  const data = new (parts[0].data.constructor as Ctor)(outer * dims[axis] * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = p.dims[axis] * inner;
      data.set(p.data.subarray(o * block, (o + 1) * block) as never, at);
      at += block;
    }
  }
  return { type: parts[0].type, data, dims };
}

/** How many rows `feeds` carry along `batch.dim` (null: no input has that dimension). */
export function rowsOf(inputs: TensorSpec[], feeds: Feeds, batch: MeasuredBatch): number | null {
  let rows: number | null = null;
  for (const [name, t] of Object.entries(feeds)) {
    const axis = axisOf(inputs, name, batch.dim);
    if (axis < 0) continue;
    if (rows !== null && t.dims[axis] !== rows) throw new Error(`inputs disagree on "${batch.dim}": ${rows} rows, and ${t.dims[axis]} in "${name}"`);
    rows = t.dims[axis];
  }
  return rows;
}

/**
 * `run` once per sub-batch of at most `batch.rows` rows (once in all when there is no batch or it fits). Inputs and
 * outputs without the batch dimension pass whole; such an output is taken from the first sub-batch (and refused if
 * its shape differs between sub-batches). `run` answering
 * null (the session went stale) stops the loop and answers null.
 */
export async function runInSubBatches(
  model: { inputs: TensorSpec[]; outputs: TensorSpec[]; batch?: MeasuredBatch },
  feeds: Feeds,
  run: (feeds: Feeds) => Promise<Feeds | null>,
): Promise<Feeds | null> {
  const batch = model.batch;
  const rows = batch ? rowsOf(model.inputs, feeds, batch) : null;
  if (!batch || rows === null || rows <= batch.rows) return run(feeds);
  const parts: Feeds[] = [];
  for (let from = 0; from < rows; from += batch.rows) {
    const to = Math.min(rows, from + batch.rows);
    const sub = Object.fromEntries(Object.entries(feeds).map(([name, t]) => {
      const axis = axisOf(model.inputs, name, batch.dim);
      return [name, axis < 0 ? t : sliceAxis(t, axis, from, to)];
    }));
    const out = await run(sub);
    if (!out) return null;
    parts.push(out);
  }
  return Object.fromEntries(Object.keys(parts[0]).map((name) => {
    const axis = axisOf(model.outputs, name, batch.dim);
    if (axis >= 0) return [name, concatAxis(parts.map((p) => p[name]), axis)];
    // an output not labelled with the batch must not depend on it; one whose shape does is mislabelled, not joinable
    const dims = parts[0][name].dims.join(',');
    if (parts.some((p) => p[name].dims.join(',') !== dims)) throw new Error(`output "${name}" changes shape with the rows but its spec has no "${batch.dim}" dimension: cannot join its sub-batches`);
    return [name, parts[0][name]];
  }));
}
