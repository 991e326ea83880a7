/// <reference types="node" />
/**
 * Input specs for benchmark folders that carry a look-alike manifest.json (../shared/lookalike-models format:
 * models.<name>.inputs.<input> = {shape, dtype, fill}, with `file` and `stripped_file` relative to it).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { TensorSpec } from '../../shared/onnx/manifest-types';

interface Lookalike { models: Record<string, { file?: string; stripped_file?: string; inputs: Record<string, { shape: number[]; dtype: string; fill: number | 'rand' }> }> }

export interface FileSpecs { name: string; specs: TensorSpec[] }

/** Specs per absolute .onnx path, from the manifest.json in `dir` or its parent; empty if there is none. */
export async function lookalikeSpecs(dir: string): Promise<Map<string, FileSpecs>> {
  const out = new Map<string, FileSpecs>();
  for (const root of [resolve(dir), dirname(resolve(dir))]) {
    let m: Lookalike;
    try {
      m = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as Lookalike;
    } catch {
      continue;
    }
    if (!m.models) continue;
    for (const [name, model] of Object.entries(m.models)) {
      const specs = Object.entries(model.inputs).map(([input, s]): TensorSpec => ({ name: input, type: s.dtype as TensorSpec['type'], shape: s.shape, example: { fill: s.fill } }));
      for (const f of [model.file, model.stripped_file]) if (f) out.set(join(root, f), { name, specs });
    }
    break;
  }
  return out;
}

export const displayPath = (file: string) => relative(process.cwd(), file) || basename(file);
