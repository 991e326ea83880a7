/**
 * Recognition: POST /v1/recognize (route.ts) with its body (request.ts), the one run from a checked request to the
 * answer (run.ts; the job consumer calls it too), the event-stream answer (event-stream.ts), and the pipeline parts
 * built from the environment (pipeline-parts.ts: stages, model description, image intake over image-decoder.ts and
 * image-downscaler.ts).
 */
export { recognize, recognizeCosts } from './route';
export { parseRecognizeRequest } from './request';
export { runRecognition, type RecognizeCall } from './run';
export { wantsEventStream } from './event-stream';
export { describeStages, localModels, useLocalModels } from './pipeline-parts';
