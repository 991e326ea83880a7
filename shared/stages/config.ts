/**
 * The vision stages' configuration from the Worker's (or Node host's) environment. Model ids come
 * from the configured model set (MODEL_SET) by role, overridable per stage; the hosted-VLM grounder
 * is configured like the recognizer's LLM, under VLM_* names. Missing or invalid settings are
 * reported by variable name so the API can say what to set.
 *
 *  GROUND_PROVIDER       onnx (default) | vlm
 *  ENTAIL_VISION_MODEL, ENTAIL_TEXT_MODEL, GROUND_IMAGE_MODEL, GROUND_QUERY_MODEL, SEGMENT_ENCODER_MODEL,
 *  SEGMENT_DECODER_MODEL manifest ids; default: the set's first entry with role entail.vision,
 *                        entail.text, ground.image, ground.query, segment.encoder, segment.decoder
 *  GROUND_MIN_SCORE      OWL-ViT probability below which an entity gets no box (default 0)
 *  VLM_PROVIDER          openai (default: any OpenAI-compatible endpoint) | workers-ai
 *  VLM_BASE_URL, VLM_API_KEY (secret), VLM_MODEL, VLM_TIMEOUT_MS, VLM_MAX_RETRIES, VLM_JSON_SCHEMA
 *  VLM_BOX_FORMAT        gemini (box_2d, default) | qwen3 | qwen2.5 (bbox_2d)
 *  VLM_MAX_SIDE          long side of the image sent to the VLM (default 1024)
 *  VISION_CACHE_IMAGES   image-level results kept per isolate and stage (default 4)
 */
import { declaredDefault, envInt, envString, envText, envValue } from '../config';
import type { VariableName } from '../config-variables';
import { llmConfigFromEnv, type LlmConfig, type LlmEnv } from '../llm/config';
import type { ModelEntry } from '../onnx/manifest-types';
import type { StageKind } from '../pipeline/contracts';
import { DEFAULT_ENTAIL_CALIBRATION, type LogisticCalibration } from '../vision/calibration';
import type { BoxConvention } from '../vision/vlm-boxes';
import { DEFAULT_NEGATIVES, DEFAULT_TEMPLATES, type EntailConfig } from './entail-mobileclip';
import type { OwlGroundConfig } from './ground-owl';
import type { VlmGroundConfig } from './ground-vlm';
import type { SamSegmentConfig } from './segment-sam';

export type GroundConfig = ({ provider: 'onnx' } & OwlGroundConfig) | ({ provider: 'vlm'; llm: LlmConfig } & VlmGroundConfig);

export interface VisionConfig {
  entail: EntailConfig | null;
  ground: GroundConfig | null;
  segment: SamSegmentConfig | null;
}

export interface VisionConfigResult {
  config: VisionConfig;
  /** Per stage, the variables to set or correct when that stage is null. */
  missing: Partial<Record<StageKind, string[]>>;
  problems: string[];
}

const BOX_FORMATS: readonly BoxConvention[] = ['gemini', 'qwen3', 'qwen2.5'];

export interface VisionEnvOptions {
  /** The entries of the configured model set. */
  entries: readonly ModelEntry[];
  /** The entailment calibration from the manifest; the documented default until one is fitted. */
  calibration?: LogisticCalibration;
}

export function visionConfigFromEnv(env: LlmEnv, opts: VisionEnvOptions): VisionConfigResult {
  const missing: VisionConfigResult['missing'] = {};
  const problems: string[] = [];
  const cacheSize = envInt(env, 'VISION_CACHE_IMAGES');

  /** The model for `role`: the override variable if set (must exist), else the set's first of that role. */
  const pick = (stage: StageKind, variable: VariableName, role: string): string | null => {
    const wanted = envString(env, variable);
    if (wanted) {
      if (opts.entries.some((e) => e.id === wanted)) return wanted;
      (missing[stage] ??= []).push(variable);
      problems.push(`${variable} names "${wanted}", which is not in the configured model set`);
      return null;
    }
    const e = opts.entries.find((x) => x.role === role);
    if (!e) {
      (missing[stage] ??= []).push(variable);
      problems.push(`the model set has no ${role} model; set ${variable}`);
    }
    return e?.id ?? null;
  };

  const visionModel = pick('entail', 'ENTAIL_VISION_MODEL', 'entail.vision');
  const textModel = pick('entail', 'ENTAIL_TEXT_MODEL', 'entail.text');
  const entail: EntailConfig | null = visionModel && textModel
    ? { visionModel, textModel, calibration: opts.calibration ?? DEFAULT_ENTAIL_CALIBRATION, negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize }
    : null;

  let ground: GroundConfig | null = null;
  const provider = envText(env, 'GROUND_PROVIDER').toLowerCase();
  if (provider === 'onnx') {
    const imageModel = pick('ground', 'GROUND_IMAGE_MODEL', 'ground.image');
    const queryModel = pick('ground', 'GROUND_QUERY_MODEL', 'ground.query');
    const minScore = Number(envString(env, 'GROUND_MIN_SCORE') ?? declaredDefault<number>('GROUND_MIN_SCORE'));
    if (!(minScore >= 0 && minScore <= 1)) {
      (missing.ground ??= []).push('GROUND_MIN_SCORE');
      problems.push('GROUND_MIN_SCORE must be a probability between 0 and 1');
    } else if (imageModel && queryModel) ground = { provider: 'onnx', imageModel, queryModel, minScore, cacheSize };
  } else if (provider === 'vlm') {
    const vlm = (name: VariableName) => envValue(env, name);
    const llm = llmConfigFromEnv({
      LLM_PROVIDER: vlm('VLM_PROVIDER'), LLM_BASE_URL: vlm('VLM_BASE_URL'), LLM_API_KEY: vlm('VLM_API_KEY'), LLM_MODEL: vlm('VLM_MODEL'),
      LLM_TIMEOUT_MS: vlm('VLM_TIMEOUT_MS'), LLM_MAX_RETRIES: vlm('VLM_MAX_RETRIES'), LLM_JSON_SCHEMA: vlm('VLM_JSON_SCHEMA'), AI: env.AI,
    });
    const rename = (s: string) => s.replace(/^LLM_/, 'VLM_');
    const format = envText(env, 'VLM_BOX_FORMAT').toLowerCase() as BoxConvention;
    if (!BOX_FORMATS.includes(format)) {
      (missing.ground ??= []).push('VLM_BOX_FORMAT');
      problems.push(`VLM_BOX_FORMAT must be one of ${BOX_FORMATS.join(', ')}, not '${format}'`);
    }
    if (!llm.config) {
      (missing.ground ??= []).push(...llm.missing.map(rename));
      problems.push(...llm.problems.map(rename));
    } else if (BOX_FORMATS.includes(format)) {
      ground = { provider: 'vlm', llm: { ...llm.config, sendImage: true }, convention: format, maxSide: envInt(env, 'VLM_MAX_SIDE'), cacheSize };
    }
  } else {
    (missing.ground ??= []).push('GROUND_PROVIDER');
    problems.push(`GROUND_PROVIDER must be onnx or vlm, not '${provider}'`);
  }

  const encoderModel = pick('segment', 'SEGMENT_ENCODER_MODEL', 'segment.encoder');
  const decoderModel = pick('segment', 'SEGMENT_DECODER_MODEL', 'segment.decoder');
  const segment = encoderModel && decoderModel ? { encoderModel, decoderModel, cacheSize } : null;

  return { config: { entail, ground, segment }, missing, problems };
}
