/**
 * Tokenizers for the text models, from the same place as the graphs. The manifest lists graph
 * files only, so the tokenizer files are the model repository's `tokenizer.json` and
 * `tokenizer_config.json` beside the `onnx/` folder (how Hugging Face repos lay them out), loaded
 * through the model store with the same hash rules (pinned in the bucket's manifest.json by
 * `models publish`, or trust-on-first-use). Built once per isolate: construction costs ~40 ms.
 */
import type { ModelEntry, ModelFile } from '../onnx/manifest-types';
import type { ModelStore } from '../store/model-store';
import { buildTokenizer, type TextTokenizer } from '../vision/clip-tokens';
import { LruCache } from '../vision/lru';
import type { TokenizerSource } from './model-access';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

/** `Xenova/mobileclip_s0/onnx/text_model_quantized.onnx` -> `Xenova/mobileclip_s0/tokenizer.json`. */
export function tokenizerFile(graph: ModelFile, name: string): ModelFile {
  const cut = graph.key.lastIndexOf('/onnx/');
  const root = cut >= 0 ? graph.key.slice(0, cut) : graph.key.slice(0, Math.max(0, graph.key.lastIndexOf('/')));
  const suffix = graph.key.slice(root.length + 1);
  const key = root ? `${root}/${name}` : name;
  const origin = graph.origin && graph.origin.endsWith(suffix) ? graph.origin.slice(0, graph.origin.length - suffix.length) + name : null;
  return { key, bytes: null, sha256: null, origin };
}

/** Caches per model id; a failed build is forgotten so the next request retries. */
export function cachedTokenizers(build: TokenizerSource, capacity = 4): TokenizerSource {
  const cache = new LruCache<Promise<TextTokenizer>>(capacity);
  return (id, entry) => cache.getOrCreate(id, () => build(id, entry));
}

export function storeTokenizers(store: ModelStore): TokenizerSource {
  return cachedTokenizers(async (_id, entry: ModelEntry) => {
    const [json, config] = await Promise.all(
      TOKENIZER_FILES.map(async (name) => JSON.parse(new TextDecoder().decode(await store.load(entry, tokenizerFile(entry.files[0], name)))) as unknown),
    );
    return buildTokenizer(json, config);
  });
}
