/// <reference types="node" />
/**
 * `npm run bench -- models DIR... [--runs N] [--json]`: every .onnx file in each folder, each in a fresh ORT
 * copy in this Node process: ORT start-up, session create, median run latency, peak wasm heap. Prints a
 * Markdown table with the machine it ran on.
 */
import { readdir } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inspectModel, type InspectResult } from '../../shared/onnx/inspect';
import { nodeOrt } from '../../shared/onnx/ort-node';
import { displayPath, lookalikeSpecs } from './lookalike-specs';

// each model's ORT copy (and its wasm heap, up to GBs) must be gone before the next one is measured
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface Row { file: string; name: string; result?: InspectResult; error?: string }

export async function benchModels(dirs: string[], runs: number, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const dir of dirs) {
    const specs = await lookalikeSpecs(dir);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.onnx')).sort().map((f) => resolve(join(dir, f)));
    for (const file of files) {
      const known = specs.get(file);
      const row: Row = { file: displayPath(file), name: known?.name ?? '' };
      try {
        row.result = await inspectModel(nodeOrt, new Uint8Array(await readFile(file)), { runs, specs: known?.specs });
      } catch (e) {
        row.error = String((e as Error).message ?? e).slice(0, 200);
      }
      gc();
      rows.push(row);
      log(`  ${row.file}: ${row.result ? `create ${row.result.createMs.toFixed(0)} ms, median run ${row.result.medianRunMs.toFixed(0)} ms, peak heap ${(row.result.peakHeapBytes / 2 ** 20).toFixed(0)} MiB` : `failed: ${row.error}`}`);
    }
  }
  return rows;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length}-core ${process.arch} (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, onnxruntime-web 1.30.0 wasm, 1 thread, SIMD, arena and memory pattern off, graph optimisation all`;
}

export function table(rows: Row[], runs: number): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines = [
    `| file | look-alike of | size MiB | ORT start ms | create ms | first run ms | median run ms (${runs} runs) | heap after create MiB | peak wasm heap MiB |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { file, name, result: r, error } of rows) {
    lines.push(r
      ? `| ${file} | ${name} | ${mib(r.bytes)} | ${r.startMs.toFixed(0)} | ${r.createMs.toFixed(0)} | ${r.firstRunMs.toFixed(0)} | ${r.medianRunMs.toFixed(1)} | ${mib(r.heapAfterCreateBytes)} | ${mib(r.peakHeapBytes)} |`
      : `| ${file} | ${name} | | | | | failed: ${error} | | |`);
  }
  return lines.join('\n');
}
