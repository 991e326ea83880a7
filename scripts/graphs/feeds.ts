/// <reference types="node" />
/**
 * The inputs of each part and shard of a look-alike entry, for measuring them alone: the entry's recipe feeds the
 * whole graph, and the shards before shard i are run (in this process) to get the real values crossing into it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFresh } from '../../models/graph/measure';
import { RECIPES } from '../../models/lookalike/recipes';
import { LOOKALIKES } from '../../models/lookalikes';
import type { ModelEntry } from '../../shared/onnx/manifest-types';
import type { TensorData } from '../../shared/onnx/tensors';

export interface Part { entry: ModelEntry; label: string; file: string; feeds: Record<string, TensorData>; level: 'disabled' | 'basic' | 'extended' | 'all' }

export function lookalikeEntry(id: string): ModelEntry {
  const e = LOOKALIKES.find((x) => x.id === id);
  if (!e) throw new Error(`no look-alike "${id}"; known: ${LOOKALIKES.map((x) => x.id).join(', ')}`);
  return e;
}

/** The whole graph and each of its shards, each with the values it is fed. */
export async function partsOf(id: string, dir: string): Promise<Part[]> {
  const entry = lookalikeEntry(id);
  const recipe = RECIPES.find((r) => r.id === id)!;
  const level = entry.session?.graphOptimizationLevel ?? 'all';
  const feeds = recipe.feeds();
  const parts: Part[] = [{ entry, label: 'whole graph', file: join(dir, entry.files[0].key), feeds, level }];
  const values = new Map(Object.entries(feeds));
  for (const s of entry.shards?.shards ?? []) {
    const file = join(dir, s.file.key);
    const shardFeeds = Object.fromEntries(s.inputs.map((t) => [t.name, values.get(t.name)!]));
    parts.push({ entry, label: `shard ${s.index}`, file, feeds: shardFeeds, level });
    const { outputs } = await runFresh(new Uint8Array(await readFile(file)), shardFeeds, { graphOptimizationLevel: level });
    for (const [k, v] of Object.entries(outputs)) values.set(k, v);
  }
  return parts;
}

/** Typed arrays to and from JSON (base64), to hand feeds to a child process. */
export const encodeFeeds = (f: Record<string, TensorData>) => JSON.stringify(Object.fromEntries(Object.entries(f).map(([k, t]) => [k, { type: t.type, dims: t.dims, b64: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') }])));
export function decodeFeeds(json: string): Record<string, TensorData> {
  const raw = JSON.parse(json) as Record<string, { type: TensorData['type']; dims: number[]; b64: string }>;
  return Object.fromEntries(Object.entries(raw).map(([k, t]) => {
    const b = Buffer.from(t.b64, 'base64');
    const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const data = t.type === 'float32' ? new Float32Array(buf) : t.type === 'int64' ? new BigInt64Array(buf) : t.type === 'int32' ? new Int32Array(buf) : new Uint8Array(buf);
    return [k, { type: t.type, dims: t.dims, data }];
  }));
}
