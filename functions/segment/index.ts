/**
 * The segment function as its own Worker: RPC entrypoint "SegmentService" (service binding
 * `SEGMENT_SERVICE` in the api) and the HTTP face. The SAM decoder fits an isolate but no SAM image
 * encoder does as published (models.md §5), so run this on Node (node.ts) until the encoder is split.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { RgbaImage } from '../../shared/image/types';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { Box, Segmentation } from '../../shared/pipeline/contracts';
import { hostStage } from '../../shared/stages/host';
import { stageHttpApp } from '../../shared/stages/http-app';
import { modelLayer } from '../../models/model-layer';

type Env = Record<string, unknown>;
const layer = modelLayer(workerdOrt);
const stage = (env: Env) => hostStage('segment', env, layer);

export class SegmentService extends WorkerEntrypoint<Env> {
  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    await (await stage(this.env)).prepare?.(image, imageKey);
  }

  async segment(image: RgbaImage, imageKey: string, boxes: Box[], output: { width: number; height: number }): Promise<Segmentation[]> {
    return (await stage(this.env)).segment(image, imageKey, boxes, output);
  }
}

const app = stageHttpApp<Env>('segment', stage);

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
