/**
 * The segment stage as its own Worker: RPC entrypoint "SegmentService" (the api's `SEGMENT_SERVICE` binding) and
 * the HTTP face. The SAM image encoder and decoder run where the Worker table (infra/workers.ts) places them: in
 * part or shard Workers (functions/shard) in the split deployment, in this isolate otherwise.
 */
import { stageHandler, stageService } from '../stage-worker';

export class SegmentService extends stageService('segment') {}
export default stageHandler('segment');
