/**
 * What the vision stages need from the model runtime: for a manifest id, the entry (I/O names,
 * preprocessing) and a way to run it; and for a text model, its tokenizer. Kept this narrow so the
 * stages are indifferent to where ORT runs (workerd, Node) and so the adapter below is the only
 * place that knows the runtime's class.
 */
import type { ModelEntry, Preprocessing } from '../onnx/manifest-types';
import type { ModelRuntime } from '../onnx/model-runtime';
import type { TensorData } from '../onnx/tensors';
import type { TextTokenizer } from '../vision/clip-tokens';
import type { ImageSpec } from '../vision/image-input';

export type { TensorData };

export interface ModelHandle {
  readonly entry: ModelEntry;
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  /** Creates the session now (download, verify, load) so the first run does not pay for it. */
  load(): Promise<void>;
}

export interface ModelAccess {
  model(id: string): Promise<ModelHandle>;
  tokenizer(id: string): Promise<TextTokenizer>;
}

export type TokenizerSource = (modelId: string, entry: ModelEntry) => Promise<TextTokenizer>;

/** The stages' view of a model runtime: sessions by id (ModelRuntime.run queues overlapping runs). */
export function runtimeModelAccess(runtime: ModelRuntime, tokenizers: TokenizerSource): ModelAccess {
  return {
    async model(id) {
      const entry = await runtime.entry(id);
      return {
        entry,
        run: (feeds) => runtime.run(id, feeds),
        load: () => runtime.warm(id),
      };
    },
    async tokenizer(id) {
      return tokenizers(id, await runtime.entry(id));
    },
  };
}

/** A float32 tensor: `data` row-major in `dims` order (its length is the product of `dims`). */
export function float32(data: Float32Array, dims: readonly number[]): TensorData {
  return { type: 'float32', data, dims };
}

/** An int64 tensor (token ids, masks, labels) from plain numbers, row-major in `dims` order. */
export function int64(values: ArrayLike<number>, dims: readonly number[]): TensorData {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return { type: 'int64', data, dims };
}

/** The named output as float32, with a clear error when the export does not have it. */
export function floatOutput(outputs: Record<string, TensorData>, name: string, model: string): { data: Float32Array; dims: readonly number[] } {
  const o = outputs[name];
  if (!o) throw new Error(`model "${model}" gave no "${name}" output (it has ${Object.keys(outputs).join(', ')})`);
  if (!(o.data instanceof Float32Array)) throw new Error(`model "${model}" output "${name}" is ${o.type}, not float32`);
  return { data: o.data, dims: o.dims };
}

export const hasInput = (entry: ModelEntry, name: string) => entry.inputs.some((i) => i.name === name);

type Spec<K extends 'image' | 'text'> = Extract<Preprocessing, { kind: K }>;

/** The entry's `kind` preprocessing: its own, or that half of an image+text (dual encoder) entry. */
function specOf<K extends 'image' | 'text'>(entry: ModelEntry, kind: K): Spec<K> {
  const p = entry.preprocessing;
  if (p.kind === kind) return p as Spec<K>;
  if (p.kind === 'image+text') return p[kind] as Spec<K>;
  throw new Error(`model "${entry.id}" has no ${kind} preprocessing in the manifest`);
}

/** The image preprocessing (resize, crop, pad, normalize) the entry's model expects. */
export const imageSpec = (entry: ModelEntry): ImageSpec => specOf(entry, 'image');
/** The text preprocessing (tokenizer, context length, padding) the entry's model expects. */
export const textSpec = (entry: ModelEntry): Spec<'text'> => specOf(entry, 'text');
