/**
 * One recognition, from a checked request to the public answer. The synchronous route, the SSE
 * stream and the job consumer all call this, so every way in gives the same answer.
 */
import type { RecognizeAnswer, RecognizeOptions, StageModel } from '../../../shared/api/schemas';
import { bytesToBase64 } from '../../../shared/base64';
import { envFlag } from '../../../shared/config';
import type { IntakeSource } from '../../../shared/image/intake';
import { workLimitsFromEnv } from '../../../shared/pipeline/limits';
import { runPipeline, type PipelineListener } from '../../../shared/pipeline/orchestrator';
import { ProblemError } from '../../../shared/problems';
import type { ApiBindings } from '../env';
import { pipelineParts } from './pipeline-parts';

export interface RecognizeCall {
  text: string;
  source: IntakeSource;
  options: RecognizeOptions;
}

export async function runRecognition(
  env: ApiBindings, call: RecognizeCall, requestId: string, signal?: AbortSignal, onEvent?: PipelineListener,
): Promise<RecognizeAnswer> {
  const parts = await pipelineParts(env);
  if (!parts.recognize) {
    throw new ProblemError('llm-not-configured', `No LLM is configured. Set ${parts.missingLlm.join(', ')} (see the README, Configuration).`, {
      extensions: { missing: parts.missingLlm },
    });
  }
  const vision = parts.vision;
  const result = await runPipeline(
    {
      text: call.text, labels: call.options.labels, masks: call.options.masks, caption: call.options.caption,
      image_url: envFlag(env, 'LLM_SEND_IMAGE') ? imageUrlForLlm(call.source) : undefined,
      request_id: requestId,
      vision: call.options.vision !== 'none',
      limits: workLimitsFromEnv(env),
    },
    (s) => parts.intake(call.source, s),
    { recognize: parts.recognize, entail: vision?.entail ?? null, ground: vision?.ground ?? null, segment: vision?.segment ?? null },
    signal,
    onEvent,
  );
  const u = result.recognition.usage;
  return {
    id: requestId,
    image: { width: result.image.width, height: result.image.height, format: result.image.format },
    entities: result.entities,
    dropped: result.recognition.dropped,
    models: Object.fromEntries((await parts.describe()).map((s) => [s.stage, call.options.vision === 'none' ? skippedVision(s) : s])),
    timings_ms: result.timings_ms,
    usage: { llm_calls: u.calls, prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens },
    warnings: result.warnings,
  };
}

/** A vision stage the client asked not to run (options.vision = "none"): its row says so; `recognize` is unchanged. */
function skippedVision(s: StageModel): StageModel {
  if (s.stage === 'recognize') return s;
  return { ...s, loaded: null, detail: `skipped at the client's request (options.vision = "none")${s.detail ? `; ${s.detail}` : ''}` };
}

/** Multimodal LLMs get the image as the client gave it: its URL, or a data: URL of the bytes. */
function imageUrlForLlm(source: IntakeSource): string {
  if (source.kind === 'url') return source.url;
  if (source.kind === 'base64') return source.data.startsWith('data:') ? source.data : `data:${source.media_type ?? 'image/jpeg'};base64,${source.data}`;
  return `data:${source.media_type ?? 'image/jpeg'};base64,${bytesToBase64(source.bytes)}`;
}
