/**
 * Model files over the API, for clients that run the vision stages themselves (the demo page in the browser):
 * which file of an entry a `{name}` path segment means, and the vision manifest a client builds the same stages
 * from (the server's VisionConfig and the entries it names, every file with its SHA-256 and URL).
 */
import type { ModelEntry, ModelFile } from '../onnx/manifest-types';
import type { VisionConfig } from '../stages/config';
import { TOKENIZER_FILES, tokenizerFile } from '../stages/tokenizers';

/** The last path segment of a bucket key: what `GET /v1/models/{id}/files/{name}` calls the file. */
export const fileName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

export const modelFileUrl = (id: string, key: string) => `/v1/models/${encodeURIComponent(id)}/files/${encodeURIComponent(fileName(key))}`;

/** Text models also have their tokenizer files, which the manifest does not list (shared/stages/tokenizers.ts). */
export const hasTokenizer = (entry: ModelEntry) => entry.preprocessing.kind === 'text' || entry.preprocessing.kind === 'image+text';

/** The entry's file called `name`: a graph or external-data file, or a text model's tokenizer file; null if none. */
export function findModelFile(entry: ModelEntry, name: string): { file: ModelFile; kind: 'graph' | 'tokenizer' } | null {
  const graph = entry.files.find((f) => fileName(f.key) === name);
  if (graph) return { file: graph, kind: 'graph' };
  if (hasTokenizer(entry) && (TOKENIZER_FILES as readonly string[]).includes(name)) return { file: tokenizerFile(entry.files[0], name), kind: 'tokenizer' };
  return null;
}

export interface VisionManifestFile {
  sha256: string;
  bytes: number;
  url: string;
}

/** GET /v1/vision/manifest: what a client needs to run the server's vision stages on its own. */
export interface VisionManifest {
  set: string;
  /** Only ONNX stages: a hosted-VLM grounder needs the server's credentials, so it is null here. */
  config: VisionConfig;
  entries: ModelEntry[];
  /** Every file the stages load, by bucket key (tokenizer files included). */
  files: Record<string, VisionManifestFile>;
  /** Why a stage is null, when it is. */
  notes: string[];
}

/**
 * The entries a config uses: every string value of it that names an entry. Read generically, not field by field,
 * so a stage whose config grows more model parts (e.g. OWL-ViT split in two) is served without a change here.
 */
export function entriesOfConfig(config: VisionConfig, entries: readonly ModelEntry[]): ModelEntry[] {
  const names = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') names.add(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(config);
  return entries.filter((e) => names.has(e.id));
}
