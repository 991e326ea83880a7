/**
 * The ground stage as its own Worker: RPC entrypoint "GroundService" (the api's `GROUND_SERVICE` binding) and the
 * HTTP face. With GROUND_PROVIDER=onnx its OWL-ViT graphs run where the Worker table (infra/workers.ts) places
 * them; with GROUND_PROVIDER=vlm it only talks to the hosted model.
 */
import { stageHandler, stageService } from '../stage-worker';

export class GroundService extends stageService('ground') {}
export default stageHandler('ground');
