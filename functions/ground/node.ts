/// <reference types="node" />
/** The ground stage on Node: `npx tsx functions/ground/node.ts` (see functions/stage-node.ts). */
import { serveStage } from '../stage-node';

await serveStage('ground');
