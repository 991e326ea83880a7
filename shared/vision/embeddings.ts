/** Embedding arithmetic for dual-encoder (CLIP-family) similarity. */

/** `[D]` float32 -> `[D]` float32 of unit length (all zeros stays zeros); a new array. */
export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  return dot(l2Normalize(a), l2Normalize(b));
}

/** Row `i` of a `[rows,dim]` row-major float32 matrix, as a view (no copy). */
export function row(m: Float32Array, dim: number, i: number): Float32Array {
  return m.subarray(i * dim, (i + 1) * dim);
}

/** Mean of `[D]` rows (each normalized first), renormalized: CLIP prompt ensembling. */
export function meanDirection(rows: readonly Float32Array[]): Float32Array {
  if (rows.length === 0) throw new Error('no embeddings to average');
  const sum = new Float32Array(rows[0].length);
  for (const r of rows) {
    const n = l2Normalize(r);
    for (let i = 0; i < sum.length; i++) sum[i] += n[i];
  }
  return l2Normalize(sum);
}
