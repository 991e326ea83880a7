/// <reference types="node" />
/** The segment stage on Node: `npx tsx functions/segment/node.ts` (see functions/stage-node.ts). */
import { serveStage } from '../stage-node';

await serveStage('segment');
