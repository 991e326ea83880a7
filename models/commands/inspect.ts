/// <reference types="node" />
/**
 * `models inspect <id | file.onnx> [--set S] [--dir D] [--runs N] [--dim name=value]`: a model's inputs and
 * outputs, size, ORT start-up, session-create time, run latency and peak wasm heap, on synthetic inputs
 * (the manifest's examples for manifest models), in onnxruntime-web under Node.
 */
import { readFile } from 'node:fs/promises';
import { inspectModel, type InspectResult } from '../../shared/onnx/inspect';
import type { ModelEntry } from '../../shared/onnx/manifest-types';
import { nodeOrt } from '../../shared/onnx/ort-node';
import { buildFixture } from '../fixtures/index';
import { type Common, checkLocalFile, mib, selectEntries } from './common';

async function bytesFor(c: Common, entry: ModelEntry): Promise<Uint8Array> {
  if (c.set === 'fixtures') return buildFixture(entry.id);
  const r = await checkLocalFile(c.dir, entry.files[0]);
  if (r.status !== 'ok') throw new Error(`${entry.id}: ${entry.files[0].key} in ${c.dir} is ${r.status}; run \`npm run models -- pull ${entry.id}\` first`);
  return r.data!;
}

export async function inspect(c: Common, target: string, opts: { runs: number; dims: Record<string, number> }): Promise<{ target: string; result: InspectResult }> {
  if (target.endsWith('.onnx')) {
    return { target, result: await inspectModel(nodeOrt, new Uint8Array(await readFile(target)), opts) };
  }
  const [entry] = await selectEntries({ ...c, ids: [target] });
  const bytes = await bytesFor(c, entry);
  return { target, result: await inspectModel(nodeOrt, bytes, { ...opts, specs: entry.inputs, graphOptimizationLevel: entry.session?.graphOptimizationLevel }) };
}

export function formatInspect({ target, result: r }: { target: string; result: InspectResult }): string {
  const io = (xs: { name: string; type: string; shape: (number | string)[] }[], run: (i: number) => number[], label: string) =>
    xs.map((x, i) => `  ${x.name} ${x.type} [${x.shape.join(', ')}] (${label} [${run(i).join(', ')}])`).join('\n');
  return [
    `${target}: ${r.bytes} bytes (${mib(r.bytes)} MiB)`,
    'inputs:',
    io(r.inputs, (i) => r.inputs[i].fed, 'fed'),
    'outputs:',
    io(r.outputs, (i) => r.outputs[i].got, 'got'),
    `ORT start ${r.startMs.toFixed(0)} ms, session create ${r.createMs.toFixed(0)} ms, first run ${r.firstRunMs.toFixed(1)} ms, median run ${r.medianRunMs.toFixed(1)} ms over ${r.runs} runs`,
    `wasm heap: ${mib(r.baseHeapBytes)} MiB idle, ${mib(r.heapAfterCreateBytes)} MiB after create, ${mib(r.peakHeapBytes)} MiB peak`,
  ].join('\n');
}
