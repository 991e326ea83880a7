/**
 * The api Worker without the accounting path (no auth, limits, idempotency or usage record), for
 * scripts/measure-accounting.ts only: the same app as functions/api/index.ts otherwise. Never deployed.
 */
import { createApp } from '../../functions/api/app';
import { useLocalModels } from '../../functions/api/recognize/pipeline-parts';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { modelLayer } from '../../models/model-layer';

useLocalModels(modelLayer(workerdOrt));

export { ApiKeyMeter } from '../../functions/api/accounts/meter';

export default { fetch: createApp({ accounting: false }).fetch };
