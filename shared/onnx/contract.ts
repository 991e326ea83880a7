/**
 * The manifest's I/O contract, enforced at both ends: a loaded graph must match it (a wrong or re-exported file is
 * caught at load, not as a shape error deep in a stage) and stage feeds must match it (a clear message instead of
 * ORT's). Dimensions named by a string are free; numbers must match.
 */
import { ProblemError } from '../problems';
import type { ModelEntry, TensorSpec } from './manifest-types';
import type { OrtSession } from './ort-types';
import type { TensorData } from './tensors';

interface Meta { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string | undefined)[] }

function describe(spec: TensorSpec): string {
  return `${spec.name} ${spec.type}[${spec.shape.join(',')}]`;
}

function mismatch(spec: TensorSpec, m: Meta | undefined): string | null {
  if (!m) return `${spec.name} is missing`;
  if (!m.isTensor) return `${spec.name} is not a tensor`;
  if (m.type !== spec.type) return `${spec.name} is ${m.type}, the manifest says ${spec.type}`;
  // ORT reports an unknown shape as [], which says nothing about the rank
  if (!m.shape?.length) return null;
  if (m.shape.length !== spec.shape.length) return `${spec.name} has rank ${m.shape.length}, the manifest says ${spec.shape.length}`;
  const fixed = spec.shape.findIndex((d, i) => typeof d === 'number' && typeof m.shape![i] === 'number' && m.shape![i] !== d);
  if (fixed >= 0) return `${spec.name} has shape [${m.shape.join(',')}], the manifest says [${spec.shape.join(',')}]`;
  return null;
}

/** Inputs must be exactly the manifest's; outputs may be a superset (exports often add embeddings nobody reads). */
export function checkSessionContract(entry: ModelEntry, session: OrtSession): void {
  const inputs = new Map((session.inputMetadata as readonly Meta[]).map((m) => [m.name, m]));
  const outputs = new Map((session.outputMetadata as readonly Meta[]).map((m) => [m.name, m]));
  const problems = [
    ...entry.inputs.map((s) => mismatch(s, inputs.get(s.name))),
    ...[...inputs.keys()].filter((n) => !entry.inputs.some((s) => s.name === n)).map((n) => `extra input ${n}`),
    ...entry.outputs.map((s) => mismatch(s, outputs.get(s.name))),
  ].filter((p): p is string => p !== null);
  if (problems.length) {
    throw new ProblemError('model-integrity', `Model "${entry.id}" (${entry.files[0].key}) does not have the manifest's I/O contract: ${problems.join('; ')}. The graph has inputs [${[...inputs.keys()].join(', ')}] and outputs [${[...outputs.keys()].join(', ')}].`, {
      extensions: { model: entry.id, contract_errors: problems },
    });
  }
}

export function checkFeeds(entry: ModelEntry, feeds: Record<string, TensorData>): void {
  const problems: string[] = [];
  for (const spec of entry.inputs) {
    const t = feeds[spec.name];
    if (!t) { problems.push(`missing ${describe(spec)}`); continue; }
    if (t.type !== spec.type) problems.push(`${spec.name} is ${t.type}, expected ${spec.type}`);
    if (t.dims.length !== spec.shape.length) problems.push(`${spec.name} has dims [${t.dims.join(',')}], expected ${describe(spec)}`);
    else if (spec.shape.some((d, i) => typeof d === 'number' && d !== t.dims[i])) problems.push(`${spec.name} has dims [${t.dims.join(',')}], expected ${describe(spec)}`);
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) problems.push(`${spec.name} has ${t.data.length} values for dims [${t.dims.join(',')}] (${size})`);
  }
  for (const name of Object.keys(feeds)) if (!entry.inputs.some((s) => s.name === name)) problems.push(`unknown input ${name}`);
  if (problems.length) {
    throw new ProblemError('stage-failed', `Inputs for model "${entry.id}" do not match its contract: ${problems.join('; ')}.`, { extensions: { model: entry.id } });
  }
}
