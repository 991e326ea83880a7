/**
 * Recognition and entity expansion through a hosted LLM (RiVEG's first stage). The API wires it as
 * `createRecognizer(llmConfigFromEnv(env).config, { ai: env.AI })`.
 */
export { createRecognizer, type LlmRecognizeInput, type LlmRecognizer } from './recognizer';
export { llmConfigFromEnv, describeLlm, LLM_DEFAULTS, type LlmConfig, type LlmConfigResult, type RecognizeMode } from '../llm/config';
export type { LlmDeps, AiBindingLike } from '../llm/index';
export { resolveType, type TypeResolution } from './type-map';
export { findMentions, alignAll } from './align';
export { parseAnswer } from './parse-answer';
export { expansionExpression, entityKey } from '../pipeline/expression';
export { GMNER_TYPES, FMNERG_TREE, FMNERG_COARSE, FMNERG_FINE } from './labels';
