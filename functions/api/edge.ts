/**
 * The public Worker's entry for the split deployment (infra/workers.ts): every vision stage is a service binding to
 * its stage Worker, so this isolate runs no ORT session and its bundle leaves out onnxruntime's 14 MB of wasm. A
 * stage left in-process here is reported as not configured, naming the binding to add.
 */
import { apiWorker } from './worker';

export { ApiKeyMeter } from './accounts/meter';
export default apiWorker;
