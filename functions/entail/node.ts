/// <reference types="node" />
/** The entail stage on Node: `npx tsx functions/entail/node.ts` (see functions/stage-node.ts). */
import { serveStage } from '../stage-node';

await serveStage('entail');
