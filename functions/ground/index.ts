/**
 * The ground function as its own Worker: RPC entrypoint "GroundService" (service binding
 * `GROUND_SERVICE` in the api) and the HTTP face. OWL-ViT B/32 as published needs ~270 MB (models.md
 * §2), so with GROUND_PROVIDER=onnx run it on Node (node.ts); with GROUND_PROVIDER=vlm the Worker
 * only talks to the hosted model and fits anywhere.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { RgbaImage } from '../../shared/image/types';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { Grounding } from '../../shared/pipeline/contracts';
import { hostStage } from '../../shared/stages/host';
import { stageHttpApp } from '../../shared/stages/http-app';
import { modelLayer } from '../../models/model-layer';

type Env = Record<string, unknown>;
const layer = modelLayer(workerdOrt);
const stage = (env: Env) => hostStage('ground', env, layer);

export class GroundService extends WorkerEntrypoint<Env> {
  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await (await stage(this.env)).prepare?.(image, imageKey);
  }

  async ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]> {
    return (await stage(this.env)).ground(image, imageKey, expressions);
  }
}

const app = stageHttpApp<Env>('ground', stage);

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
