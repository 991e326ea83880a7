/**
 * Where a model runs when not in this isolate: the Worker bound to the whole model, or, for a sharded entry whose
 * every shard is bound, the chain of shard Workers. Each call has a deadline and its failures become problems;
 * each run is recorded in the runtime's hop log (caller and callee time, bytes each way).
 */
import { withDeadline } from '../deadline';
import { problemFromRpc } from '../rpc-errors';
import { tensorBytes, type HopLog } from './hops';
import type { ModelEntry } from './manifest-types';
import type { ModelPartRpc, ModelParts } from './model-parts';
import { runShardChain } from './shard-plan';
import type { TensorData } from './tensors';

/** Runs the model remotely on plain tensors; `load()` has the hosting Worker(s) create their sessions. */
export type RemoteModel = ((feeds: Record<string, TensorData>, outputNames?: string[]) => Promise<Record<string, TensorData>>) & { load(): Promise<void> };

/** Null: this isolate creates the session itself (as with no bindings at all). */
export function remoteModel(entry: ModelEntry, parts: ModelParts | undefined, hops: HopLog, timeoutMs = 60_000): RemoteModel | null {
  if (!parts) return null;
  const call = <T>(rpc: ModelPartRpc, what: string, fn: (r: ModelPartRpc) => Promise<T>) =>
    withDeadline(timeoutMs, what, entry.id, () => fn(rpc)).catch((e) => { throw problemFromRpc(e, what, entry.id); });
  const run = async (rpc: ModelPartRpc, what: string, shard: number | null, feeds: Record<string, TensorData>, names?: string[]) => {
    const t0 = performance.now();
    const { outputs, run_ms } = await call(rpc, what, (r) => r.run(feeds, names));
    hops.record({ model: entry.id, shard, call_ms: performance.now() - t0, run_ms, bytes_out: tensorBytes(feeds), bytes_in: tensorBytes(outputs) });
    return outputs;
  };
  const whole = parts.model(entry.id);
  if (whole) {
    const what = `the Worker hosting model "${entry.id}"`;
    return Object.assign((feeds: Record<string, TensorData>, names?: string[]) => run(whole, what, null, feeds, names), {
      load: () => call(whole, what, (r) => r.load()),
    });
  }
  const plan = entry.shards;
  const shards = plan?.shards.map((s) => parts.shard(entry.id, s.index));
  if (!plan || !shards || shards.some((s) => !s)) return null;
  const what = (i: number) => `the Worker hosting shard ${i} of "${entry.id}"`;
  return Object.assign(
    (feeds: Record<string, TensorData>, names?: string[]) =>
      runShardChain(plan, feeds, names ?? entry.outputs.map((o) => o.name), (s, f) => run(shards[s.index]!, what(s.index), s.index, f, s.outputs.map((o) => o.name))),
    { load: async () => { await Promise.all(plan.shards.map((s) => call(shards[s.index]!, what(s.index), (r) => r.load()))); } },
  );
}
