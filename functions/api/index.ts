/**
 * The public Worker's entry with onnxruntime in the isolate: stages without a service binding or URL run here
 * (MODEL_SET=fixtures, tests, a single-Worker deployment). The split deployment's api uses edge.ts instead, which
 * carries no ORT (infra/workers.ts).
 */
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { modelLayer } from '../../models/model-layer';
import { apiWorker } from './worker';
import { useLocalModels } from './recognize';

useLocalModels(modelLayer(workerdOrt));

export { ApiKeyMeter } from './accounts/meter';
export default apiWorker;
