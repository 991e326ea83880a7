/**
 * The entail stage as its own Worker: RPC entrypoint "EntailService" (the api's `ENTAIL_SERVICE` binding) and the
 * HTTP face. Its two towers run where the Worker table (infra/workers.ts) places them: each in a part Worker of its
 * own (functions/shard) in the split deployment, in this isolate otherwise.
 */
import { stageHandler, stageService } from '../stage-worker';

export class EntailService extends stageService('entail') {}
export default stageHandler('entail');
