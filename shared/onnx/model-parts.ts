/**
 * A model served by other isolates: the whole graph by one "part" Worker, or its shards (shard-plan.ts) by one
 * Worker each. Names are derived from manifest ids so that the Worker table (infra/workers.ts), the bindings a
 * stage Worker gets, and the runtime that looks them up agree without a second list.
 *
 *   MODEL_<ID>       service binding to the Worker hosting the whole model `id`
 *   SHARD_<ID>_<i>   service binding to the Worker hosting shard i of `id`
 * (<ID>: the id upper-cased, every run of other characters as one `_`.)
 */
import type { ConfigEnv } from '../config';
import type { ModelEntry } from './manifest-types';
import type { ShardSpec } from './shard-plan';
import type { TensorData } from './tensors';

/**
 * A part or shard Worker's answer: the outputs, and how long the run took inside that Worker (its own clock), so the
 * caller can tell the RPC hop (its wall time less this) from the run. Deployed Workers advance the clock only on I/O,
 * so there `run_ms` reads near 0 and the whole call looks like hop; local workerd advances it during CPU work.
 */
export interface PartRun {
  outputs: Record<string, TensorData>;
  run_ms: number;
}

/** What a part or shard Worker exposes over RPC (functions/shard/index.ts). */
export interface ModelPartRpc {
  run(feeds: Record<string, TensorData>, outputNames?: string[]): Promise<PartRun>;
  /** Creates the session now (download, verify, load) so the first run does not pay for it. */
  load(): Promise<void>;
}

const slug = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
export const modelBindingName = (id: string) => `MODEL_${slug(id)}` as const;
export const shardBindingName = (id: string, index: number) => `SHARD_${slug(id)}_${index}` as const;

/** The manifest id of shard `index` of `id`, as the shard's own isolate knows it. */
export const shardId = (id: string, index: number) => `${id}#shard${index}`;

export function parseShardId(id: string): { model: string; index: number } | null {
  const m = /^(.*)#shard(\d+)$/.exec(id);
  return m ? { model: m[1], index: Number(m[2]) } : null;
}

/** Shard `index` of a sharded entry as an entry of its own: its file, its cut's inputs and outputs, its measured peak. */
export function shardEntry(entry: ModelEntry, index: number): ModelEntry {
  const spec: ShardSpec | undefined = entry.shards?.shards.find((s) => s.index === index);
  if (!spec) throw new Error(`model "${entry.id}" has no shard ${index}`);
  return {
    ...entry,
    id: shardId(entry.id, index),
    title: `${entry.title}, shard ${index + 1} of ${entry.shards!.shards.length}`,
    role: `${entry.role}#shard`,
    files: [spec.file],
    inputs: spec.inputs,
    // a whole-graph output as the entry's contract names it: the shard file keeps the graph's own dimension names
    // (`text_embeds_0`), and the contract's `batch` is what sub-batching joins along
    outputs: spec.outputs.map((o) => entry.outputs.find((w) => w.name === o.name) ?? o),
    memory: spec.memory,
    batch: entry.shards!.batch,
    shards: undefined,
  };
}

/** Where a runtime finds the Workers hosting its models (null: run it in this isolate). */
export interface ModelParts {
  model(id: string): ModelPartRpc | null;
  shard(id: string, index: number): ModelPartRpc | null;
  /** Names of the bindings present, for cache keys and status. */
  readonly names: string[];
}

/** The parts a Worker's environment binds (see the names above). */
export function modelPartsFromEnv(env: ConfigEnv): ModelParts {
  const get = (name: ReturnType<typeof modelBindingName | typeof shardBindingName>): ModelPartRpc | null => {
    // a service binding is an RPC stub: any property reads as a callable, so test the type, not `in`
    const b = env[name] as Partial<ModelPartRpc> | undefined;
    return b && typeof b === 'object' && typeof b.run === 'function' ? (b as ModelPartRpc) : null;
  };
  return {
    model: (id) => get(modelBindingName(id)),
    shard: (id, index) => get(shardBindingName(id, index)),
    names: Object.entries(env).filter(([k, v]) => /^(MODEL|SHARD)_[A-Z0-9_]+$/.test(k) && v && typeof v === 'object').map(([k]) => k).sort(),
  };
}
