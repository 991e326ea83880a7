/**
 * A generic model Worker: hosts one whole model (a stage part, `PART_MODEL=<id>`) or one shard of a sharded model
 * (`PART_MODEL=<id>`, `PART_SHARD=<i>`), and runs it for the stage Worker that owns it, over RPC:
 * `run(feeds, outputNames?) -> {outputs, run_ms}` (typed arrays, structured-cloned; run_ms: this Worker's own run time) and `load()` to warm it. One isolate per
 * model piece is what keeps each piece's ORT heap under the isolate's 128 MB (infra/workers.ts places them); a call
 * with more rows than the piece's plan was measured at runs in sub-batches of that size (shared/onnx/sub-batch.ts).
 * GET /healthz says what it hosts and this isolate's ORT heap; it loads nothing. POST /load loads it (as `load()`)
 * and says how long that took: how measurements and local tooling warm a piece without an RPC client.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import { shardId, type PartRun } from '../../shared/onnx/model-parts';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { TensorData } from '../../shared/onnx/tensors';
import { ProblemError } from '../../shared/problems';
import { rpcCallee } from '../../shared/rpc-errors';
import { modelRuntimeFromEnv, type ModelEnv } from '../../models/runtime-from-env';

type Env = ModelEnv;

/** The manifest id this Worker serves (a shard has its own derived id). */
function hosted(env: Env): string {
  const model = typeof env.PART_MODEL === 'string' ? env.PART_MODEL.trim() : '';
  if (!model) throw new ProblemError('stage-failed', 'this model Worker has no PART_MODEL: set it to the manifest id it hosts (infra/workers.ts does)');
  const shard = typeof env.PART_SHARD === 'string' && env.PART_SHARD.trim() !== '' ? Number(env.PART_SHARD) : null;
  if (shard !== null && !(Number.isInteger(shard) && shard >= 0)) throw new ProblemError('stage-failed', `PART_SHARD must be a shard index, not "${String(env.PART_SHARD)}"`);
  return shard === null ? model : shardId(model, shard);
}

const runtime = (env: Env) => modelRuntimeFromEnv(env, workerdOrt);

export class ShardService extends WorkerEntrypoint<Env> {
  run(feeds: Record<string, TensorData>, outputNames?: string[]): Promise<PartRun> {
    return rpcCallee(async () => {
      const t0 = performance.now();
      const outputs = await runtime(this.env).run(hosted(this.env), feeds, outputNames);
      return { outputs, run_ms: performance.now() - t0 };
    });
  }

  load(): Promise<void> {
    return rpcCallee(async () => { await runtime(this.env).load(hosted(this.env)); });
  }
}

export default {
  async fetch(req, env) {
    const path = new URL(req.url).pathname;
    if (path === '/load' && req.method === 'POST') {
      const t0 = performance.now();
      try {
        await runtime(env).load(hosted(env));
        return Response.json({ model: hosted(env), load_ms: performance.now() - t0, wasm_heap_bytes: runtime(env).describe().wasm_heap_bytes });
      } catch (e) {
        return Response.json({ error: (e as Error).message }, { status: 500 });
      }
    }
    if (path !== '/healthz') return new Response('not found', { status: 404 });
    try {
      return Response.json({ model: hosted(env), wasm_heap_bytes: runtime(env).describe().wasm_heap_bytes });
    } catch (e) {
      return Response.json({ error: (e as Error).message }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;
