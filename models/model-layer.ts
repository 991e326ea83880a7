/**
 * The model layer every stage host uses (shared by functions/entail, ground and segment): the
 * isolate's model runtime for MODEL_SET, its entries, and the tokenizers (generated for the fixture
 * set, from the model store otherwise). `provider` is where ORT runs: workerd or Node.
 */
import type { OrtProvider } from '../shared/onnx/ort-types';
import type { ModelLayer } from '../shared/stages/host';
import { storeTokenizers } from '../shared/stages/tokenizers';
import type { TokenizerSource } from '../shared/stages/model-access';
import { fixtureTokenizers } from './fixtures/vision-tokenizer';
import { configKey } from '../shared/config';
import { scopeVariables } from '../shared/config-variables';
import { modelRuntimeFromEnv, modelSetFromEnv, modelStoreFromEnv, type ModelEnv } from './runtime-from-env';

const tokenizerSources = new Map<string, TokenizerSource>();
/** Tokenizers come from the model store: the same store configuration shares them. */
const STORE_KEYS = scopeVariables('store');

export function modelLayer(provider: OrtProvider): ModelLayer {
  return {
    runtime: (env) => modelRuntimeFromEnv(env as ModelEnv, provider),
    entries: (env) => modelSetFromEnv(env as ModelEnv).entries,
    calibration: (env) => modelSetFromEnv(env as ModelEnv).calibration,
    tokenizers(env) {
      const { set } = modelSetFromEnv(env as ModelEnv);
      // look-alikes have random weights, so a real vocabulary buys nothing, and the generated one needs no download
      if (set === 'fixtures' || set === 'lookalikes') return fixtureTokenizers;
      const key = JSON.stringify([...configKey(env, STORE_KEYS), !!(env as ModelEnv).MODELS]);
      let t = tokenizerSources.get(key);
      if (!t) tokenizerSources.set(key, (t = storeTokenizers(modelStoreFromEnv(env as ModelEnv))));
      return t;
    },
  };
}
