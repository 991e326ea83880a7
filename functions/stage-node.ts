/// <reference types="node" />
/**
 * Runs any stage's HTTP face on Node (a container, a VM) with @hono/node-server: the same stage code as
 * the Worker, with ORT's wasm build compiled by Node. For models that do not fit a 128 MB isolate.
 * functions/{entail,ground,segment}/node.ts each start one; stage-worker.ts is the Worker counterpart.
 *   PORT (default 8788), HOST (default 127.0.0.1); every other variable as for the Worker.
 * The server package is loaded at start-up, so type-checking does not depend on it being installed.
 */
import { nodeOrt } from '../shared/onnx/ort-node';
import { hostStage } from '../shared/stages/host';
import type { StageKind } from '../shared/pipeline/contracts';
import { stageHttpApp } from '../shared/stages/http-app';
import { modelLayer } from '../models/model-layer';

interface NodeServer { close(cb?: () => void): void }
type Serve = (opts: { fetch: (req: Request) => Response | Promise<Response>; port: number; hostname: string }, listening?: (info: { port: number; address: string }) => void) => NodeServer;

export async function serveStage(kind: StageKind, env: Record<string, unknown> = process.env): Promise<NodeServer> {
  const pkg = '@hono/node-server';
  let serve: Serve;
  try {
    ({ serve } = (await import(pkg)) as { serve: Serve });
  } catch (e) {
    throw new Error(`the Node host needs ${pkg} (npm i -E @hono/node-server@2.1.9): ${(e as Error).message}`);
  }
  const layer = modelLayer(nodeOrt);
  const app = stageHttpApp<Record<string, unknown>>(kind, (e) => hostStage(kind, e, layer));
  const port = Number(env.PORT ?? 8788);
  const hostname = String(env.HOST ?? '127.0.0.1');
  return serve({ fetch: (req) => app.fetch(req, env), port, hostname }, (info) => {
    console.log(`${kind} stage listening on http://${info.address}:${info.port} (MODEL_SET=${String(env.MODEL_SET ?? 'default')})`);
  });
}
