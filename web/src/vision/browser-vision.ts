/**
 * "Run vision in this browser": the API recognizes (options.vision = "none") while the page runs the SAME
 * pipeline code as the Worker (shared/pipeline/orchestrator.ts, the stages from shared/stages' factory) with
 * onnxruntime-web on WebGPU or wasm. The API call is the pipeline's recognizer, so the image-level model work
 * overlaps the LLM call here exactly as it does on the server. Loaded lazily: only when the switch is on.
 */
import type { VisionManifest } from '../../../shared/api/model-files';
import { ApiError, createClient, problemOf, type RecognizeAnswer, type RecognizeInput } from '../../../shared/client';
import { MemoryBudget } from '../../../shared/onnx/budget';
import { ModelRuntime } from '../../../shared/onnx/model-runtime';
import { browserOrt, type BrowserBackend } from '../../../shared/onnx/ort-browser';
import type { LabelSet, Recognizer } from '../../../shared/pipeline/contracts';
import { runPipeline, type PipelineListener, type PipelineResult } from '../../../shared/pipeline/orchestrator';
import { createVisionStages, type VisionStages } from '../../../shared/stages/index';
import { runtimeModelAccess } from '../../../shared/stages/model-access';
import { storeTokenizers } from '../../../shared/stages/tokenizers';
import { pageIntake } from './image';
import { pageModelStore } from './model-cache';

/** Where web/build.ts puts onnxruntime-web's .wasm files. */
export const WASM_PATH = '/ort/';
/** The page has no 128 MB isolate limit; the budget only guards against a runaway model set. */
const PAGE_BUDGET_BYTES = 4 * 1024 ** 3;

export interface BrowserRun {
  /** The API's recognition-only answer. */
  answer: RecognizeAnswer;
  /** The pipeline as it ran in the page: entities with their vision fields, page timings, warnings. */
  result: PipelineResult;
}

export interface BrowserVision {
  backend: BrowserBackend;
  manifest: VisionManifest;
  run(req: { body: RecognizeInput | FormData; image: Blob; text: string; labels: LabelSet; masks: boolean; onEvent?: PipelineListener }): Promise<BrowserRun>;
}

export async function createBrowserVision(opts: { origin: string; apiKey: string; backend?: BrowserBackend }): Promise<BrowserVision> {
  const res = await fetch(`${opts.origin}/v1/vision/manifest`, { headers: { authorization: `Bearer ${opts.apiKey}`, accept: 'application/json' } });
  if (!res.ok) throw new ApiError(await problemOf(res), res);
  const manifest = (await res.json()) as VisionManifest;
  const store = pageModelStore(opts.origin, manifest, opts.apiKey);
  const provider = browserOrt({ wasmPaths: WASM_PATH, backend: opts.backend });
  const runtime = new ModelRuntime({ set: manifest.set, entries: manifest.entries, store, provider, budget: new MemoryBudget(PAGE_BUDGET_BYTES) });
  const stages: VisionStages = createVisionStages(manifest.config, { models: runtimeModelAccess(runtime, storeTokenizers(store)) });
  const api = createClient({ baseUrl: opts.origin, apiKey: opts.apiKey });
  return {
    backend: await provider.backend(),
    manifest,
    async run(req) {
      let answer: RecognizeAnswer | undefined;
      const recognize: Recognizer = {
        id: 'api:/v1/recognize (options.vision = none)',
        async recognize(input) {
          const call = api.recognize(req.body, { signal: input.signal });
          // fetch() hands the request to the browser's network thread at once: the image models need not wait.
          input.onSent?.();
          answer = await call;
          const u = answer.usage;
          return {
            entities: answer.entities.map(({ text, start, end, type, fine_type, expansion }) => ({ text, start, end, type, fine_type, expansion })),
            dropped: answer.dropped,
            usage: { calls: u.llm_calls, prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens },
            model: answer.models.recognize?.model ?? 'api',
          };
        },
      };
      const result = await runPipeline(
        { text: req.text, labels: req.labels, masks: req.masks, request_id: 'page' },
        async () => ({ image: await pageIntake(req.image), warnings: [] }),
        { recognize, ...stages },
        undefined,
        req.onEvent,
      );
      return { answer: answer!, result };
    },
  };
}

let current: { key: string; vision: Promise<BrowserVision> } | undefined;

/** One per API key and page: sessions and the ORT copy stay loaded between runs. A failed start is retried next time. */
export function browserVision(origin: string, apiKey: string, backend?: BrowserBackend): Promise<BrowserVision> {
  const key = `${origin} ${apiKey} ${backend ?? ''}`;
  if (current?.key !== key) {
    const vision = createBrowserVision({ origin, apiKey, backend });
    vision.catch(() => { if (current?.vision === vision) current = undefined; });
    current = { key, vision };
  }
  return current.vision;
}
