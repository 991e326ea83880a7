/**
 * The entail function as its own Worker: an RPC entrypoint for a service binding from the api
 * (`ENTAIL_SERVICE`, entrypoint "EntailService") and the HTTP face (shared/stages/http-app.ts). The
 * stage itself is shared/stages; this file only hosts it. As published, the MobileCLIP text tower
 * does not fit a 128 MB isolate (models.md §3.1): run this on Node (node.ts) until it is split.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { RgbaImage } from '../../shared/image/types';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { Entailment } from '../../shared/pipeline/contracts';
import { hostStage } from '../../shared/stages/host';
import { stageHttpApp } from '../../shared/stages/http-app';
import { modelLayer } from '../../models/model-layer';

type Env = Record<string, unknown>;
const layer = modelLayer(workerdOrt);
const stage = (env: Env) => hostStage('entail', env, layer);

export class EntailService extends WorkerEntrypoint<Env> {
  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await (await stage(this.env)).prepare?.(image, imageKey);
  }

  async entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]> {
    return (await stage(this.env)).entail(image, imageKey, expressions);
  }
}

const app = stageHttpApp<Env>('entail', stage);

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
