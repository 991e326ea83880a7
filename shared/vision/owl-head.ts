/**
 * OWL-ViT's class head (OwlViTClassPredictionHead) in JS, so the vision tower can run before the queries exist:
 * the image part gives per-patch class embeddings (already projected and L2-normalised), a logit shift and a
 * logit scale (after elu + 1); the query part gives one text embedding per query. Then
 *   logits[p, q] = (⟨image_class_embeds[p], q̂⟩ + shift[p]) · scale[p],  q̂ = query_embeds[q] / (‖query_embeds[q]‖ + 1e-6)
 * P × Q × D multiply-adds (576 × 8 × 512 ≈ 2.4 M for eight queries): nothing next to the towers.
 */

export interface OwlImageParts {
  /** `[1,P,D]` float32 (`classDims`), each row L2-normalised by the graph; P = patches (24 x 24 at 768 px), row-major by patch. */
  classEmbeds: Float32Array;
  classDims: readonly number[];
  /** `[1,P,1]` float32 each. */
  shift: Float32Array;
  scale: Float32Array;
}

/** `queryEmbeds` `[Q,D]` float32 (not yet normalised) -> logits `[1,P,Q]` float32 (row-major, patch-major), the layout bestBoxPerQuery reads. */
export function owlClassLogits(image: OwlImageParts, queryEmbeds: Float32Array, queryDims: readonly number[]): { data: Float32Array; dims: [1, number, number] } {
  const { classEmbeds, classDims, shift, scale } = image;
  if (classDims.length !== 3 || classDims[0] !== 1 || queryDims.length !== 2 || queryDims[1] !== classDims[2]) {
    throw new Error(`OWL head inputs have unexpected shapes: image_class_embeds [${classDims}], query_embeds [${queryDims}]`);
  }
  const [, p, d] = classDims;
  const q = queryDims[0];
  if (shift.length !== p || scale.length !== p || classEmbeds.length !== p * d || queryEmbeds.length !== q * d) {
    throw new Error(`OWL head inputs disagree in size: ${p} patches of ${d}, shift ${shift.length}, scale ${scale.length}, ${q} queries`);
  }
  const unit = new Float32Array(q * d);
  for (let j = 0; j < q; j++) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += queryEmbeds[j * d + k] ** 2;
    const inv = 1 / (Math.sqrt(sq) + 1e-6);
    for (let k = 0; k < d; k++) unit[j * d + k] = queryEmbeds[j * d + k] * inv;
  }
  const out = new Float32Array(p * q);
  for (let i = 0; i < p; i++) {
    const row = i * d;
    for (let j = 0; j < q; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += classEmbeds[row + k] * unit[j * d + k];
      out[i * q + j] = (dot + shift[i]) * scale[i];
    }
  }
  return { data: out, dims: [1, p, q] };
}
