/// <reference types="node" />
/** The ground stage on Node: `npx tsx functions/ground/node.ts` (see functions/entail/node-serve.ts). */
import { serveStage } from '../entail/node-serve';

await serveStage('ground');
