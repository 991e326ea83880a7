/**
 * The one shape every stage Worker has (functions/entail, ground, segment): an RPC entrypoint for the api's service
 * binding and the HTTP face (shared/stages/http-app.ts), both serving the stage built from the Worker's own
 * environment (shared/stages/host.ts). Problems cross the binding tagged with their kind (shared/rpc-errors.ts).
 * The stage's models run where its bindings say: in this isolate, or in part and shard Workers (functions/shard).
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { RgbaImage } from '../shared/image/types';
import { workerdOrt } from '../shared/onnx/ort-workerd';
import type { Box, Entailment, Grounding, Segmentation } from '../shared/pipeline/contracts';
import { rpcCallee } from '../shared/rpc-errors';
import { hostStage } from '../shared/stages/host';
import type { StageKind } from '../shared/pipeline/contracts';
import { stageHttpApp } from '../shared/stages/http-app';
import { modelLayer } from '../models/model-layer';

type Env = Record<string, unknown>;
const layer = modelLayer(workerdOrt);

/** The RPC entrypoint of a stage Worker; each stage's index.ts exports it under its own class name. */
export function stageService<K extends StageKind>(kind: K) {
  const stage = (env: Env) => hostStage(kind, env, layer);
  return class extends WorkerEntrypoint<Env> {
    prepare(image: RgbaImage, imageKey: string): Promise<void> {
      return rpcCallee(async () => { await (await stage(this.env)).prepare?.(image, imageKey); });
    }
    entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]> {
      return rpcCallee(async () => (await hostStage('entail', this.env, layer)).entail(image, imageKey, expressions));
    }
    ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
      return rpcCallee(async () => (await hostStage('ground', this.env, layer)).ground(image, imageKey, expressions));
    }
    segment(image: RgbaImage, imageKey: string, boxes: Box[], output: { width: number; height: number }): Promise<Segmentation[]> {
      return rpcCallee(async () => (await hostStage('segment', this.env, layer)).segment(image, imageKey, boxes, output));
    }
  };
}

/** The stage's HTTP face as the Worker's default export. */
export function stageHandler(kind: StageKind) {
  const app = stageHttpApp<Env>(kind, (env) => hostStage(kind, env, layer), { hops: (env) => layer.runtime(env).hops });
  return { fetch: (req: Request, env: Env, ctx: ExecutionContext) => app.fetch(req, env, ctx) } satisfies ExportedHandler<Env>;
}
