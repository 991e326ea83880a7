/**
 * Synthetic inputs for measuring a model: shapes from the graph, named dimensions from the contract's example
 * (or a caller's overrides, else 1), values from the example fill or a fixed pseudo-random sequence.
 */
import type { TensorSpec } from './manifest-types';
import type { TensorData, TensorType } from './tensors';

export interface InputMeta { name: string; type: string; shape: readonly (number | string | undefined)[] }

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function syntheticInput(meta: InputMeta, spec: TensorSpec | undefined, dimOverrides: Record<string, number> = {}): TensorData {
  const shape = spec?.shape ?? meta.shape;
  const dims = shape.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    const name = typeof d === 'string' ? d : `${meta.name}[${i}]`;
    return dimOverrides[name] ?? spec?.example?.dims?.[name] ?? 1;
  });
  const size = dims.reduce((a, b) => a * b, 1);
  const fill = spec?.example?.fill ?? (meta.type === 'float32' ? 'rand' : 1);
  const rnd = lcg(size);
  const value = (i: number) => (fill === 'rand' ? rnd() : Array.isArray(fill) ? fill[i % fill.length] : fill);
  const type = meta.type as TensorType;
  switch (type) {
    case 'float32': return { type, dims, data: Float32Array.from({ length: size }, (_, i) => value(i)) };
    case 'int64': return { type, dims, data: BigInt64Array.from({ length: size }, (_, i) => BigInt(Math.round(value(i)))) };
    case 'int32': return { type, dims, data: Int32Array.from({ length: size }, (_, i) => Math.round(value(i))) };
    case 'uint8':
    case 'bool': return { type, dims, data: Uint8Array.from({ length: size }, (_, i) => Math.round(value(i))) };
    default: throw new Error(`cannot synthesise input ${meta.name} of type ${meta.type}`);
  }
}
