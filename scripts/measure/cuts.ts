/**
 * The bytes that cross each shard boundary of a model set, from the shard plans (no run needed).
 */
import type { ModelEntry } from '../../shared/onnx/manifest-types';

const BYTES_PER: Record<string, number> = { float32: 4, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1 };

/**
 * What crosses each cut of each sharded entry: the outputs of shard i that later shards read. The stage runs the
 * chain, so each of these goes back to the stage and out again to a later shard: two RPC hops per cut. A free
 * dimension (batch, queries) counts as `dims` (default 1).
 */
export function cutBytes(entries: readonly ModelEntry[], dims = 1): { model: string; after: number; tensors: string; bytes: number }[] {
  const out: { model: string; after: number; tensors: string; bytes: number }[] = [];
  for (const entry of entries) {
    for (const s of entry.shards?.shards.slice(0, -1) ?? []) {
      const later = new Set(entry.shards!.shards.filter((x) => x.index > s.index).flatMap((x) => x.inputs.map((t) => t.name)));
      const crossing = s.outputs.filter((t) => later.has(t.name));
      const bytes = crossing.reduce((a, t) => a + t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : dims), 1) * BYTES_PER[t.type], 0);
      out.push({ model: entry.id, after: s.index, tensors: crossing.map((t) => `${t.name} ${t.type} [${t.shape.join(',')}]`).join(', '), bytes });
    }
  }
  return out;
}

