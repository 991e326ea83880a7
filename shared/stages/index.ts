/**
 * The vision stages, built from configuration: what the API wiring (and each stage's own Worker or
 * Node host) calls. In-process here; functions/<stage>/ serve the same objects over RPC and HTTP,
 * and remote.ts turns such a service back into a stage.
 */
import type { AiBindingLike } from '../llm';
import { createChatClient, type ChatClient } from '../llm';
import type { EntailStage, GroundStage, SegmentStage } from '../pipeline/contracts';
import type { VisionConfig } from './config';
import { MobileClipEntail } from './entail-mobileclip';
import { OwlGround } from './ground-owl';
import { VlmGround } from './ground-vlm';
import { SamSegment } from './segment-sam';
import type { ModelAccess } from './model-access';

export { visionConfigFromEnv, type VisionConfig, type VisionConfigResult, type GroundConfig } from './config';
export { runtimeModelAccess, type ModelAccess, type ModelHandle, type TokenizerSource } from './model-access';
export { storeTokenizers, cachedTokenizers, tokenizerFile } from './tokenizers';
export { MobileClipEntail, type EntailConfig } from './entail-mobileclip';
export { OwlGround, type OwlGroundConfig } from './ground-owl';
export { VlmGround, type VlmGroundConfig } from './ground-vlm';
export { SamSegment, type SamSegmentConfig } from './segment-sam';

export interface VisionDeps {
  /** Sessions and tokenizers; needed by every ONNX-backed stage. */
  models?: ModelAccess;
  /** fetch for the hosted VLM (defaults to the global one). */
  fetch?: typeof fetch;
  /** Workers AI binding, when VLM_PROVIDER=workers-ai. */
  ai?: AiBindingLike | Ai;
  /** A ready chat client for the VLM grounder instead of one built from the config. */
  chat?: ChatClient;
}

export interface VisionStages {
  entail: EntailStage | null;
  ground: GroundStage | null;
  segment: SegmentStage | null;
}

export function createVisionStages(config: VisionConfig, deps: VisionDeps): VisionStages {
  const needModels = () => {
    if (!deps.models) throw new Error('the ONNX vision stages need a model runtime (deps.models)');
    return deps.models;
  };
  const entail = config.entail ? new MobileClipEntail(needModels(), config.entail) : null;
  let ground: GroundStage | null = null;
  if (config.ground?.provider === 'onnx') ground = new OwlGround(needModels(), config.ground);
  else if (config.ground?.provider === 'vlm') {
    const chat = deps.chat ?? createChatClient(config.ground.llm, { fetch: deps.fetch, ai: deps.ai });
    ground = new VlmGround(chat, config.ground);
  }
  const segment = config.segment ? new SamSegment(needModels(), config.segment) : null;
  return { entail, ground, segment };
}
