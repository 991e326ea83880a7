/// <reference types="node" />
/** The segment stage on Node: `npx tsx functions/segment/node.ts` (see functions/entail/node-serve.ts). */
import { serveStage } from '../entail/node-serve';

await serveStage('segment');
