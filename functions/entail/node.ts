/// <reference types="node" />
/** The entail stage on Node: `npx tsx functions/entail/node.ts` (see functions/entail/node-serve.ts). */
import { serveStage } from '../entail/node-serve';

await serveStage('entail');
