/// <reference types="node" />
/**
 * Graph surgery, split: the OWL-ViT image part and query part extracted from one graph compute exactly what the one
 * graph computes, and the class head recombined in JS from the parts gives the one graph's logits. On a small
 * generated graph with OWL-ViT's structure (always); on the stripped OWL-ViT look-alike, the parts' inputs are
 * exactly the contract's (needs ../shared/lookalike-models, skipped without it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARED } from '../../models/commands/lookalikes';
import { extractModel } from '../../models/graph/extract';
import { runFresh } from '../../models/graph/measure';
import { decodeModel, encodeModel } from '../../models/graph/proto';
import { OWL_IMAGE_OUTPUTS, OWL_QUERY_OUTPUT } from '../../models/lookalike/recipes';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';
import type { TensorData } from '../../shared/onnx/tensors';

const P = 6, D = 8, Q = 3, C = 5;
function lcg(seed: number, n: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale);
}

/**
 * pixels [P, C] -> image tower -> class embeddings (L2-normalised), logit shift, logit scale (elu + 1), boxes;
 * queries [Q, C] -> text tower -> query embeddings; head: logits = (<img, q/|q|> + shift) * scale. Names as in the export.
 */
function owlLike(): Uint8Array {
  const g = new GraphBuilder('owl_like');
  const px = g.input('pixel_values', 'float32', [P, C]);
  const q = g.input('queries', 'float32', [Q, C]);
  const feat = g.op('Tanh', [g.op('MatMul', [px, g.f32(lcg(1, C * D), [C, D])])]);
  const dense = g.op('MatMul', [feat, g.f32(lcg(2, D * D), [D, D])]);
  const img = g.op('Div', [dense, g.op('Add', [g.op('ReduceL2', [dense], { axes: [1], keepdims: 1 }), g.f32([1e-6], [])])], {}, 'class_head/Div');
  const shift = g.op('MatMul', [feat, g.f32(lcg(3, D), [D, 1])], {}, 'class_head/shift');
  const scale = g.op('Add', [g.op('Elu', [g.op('MatMul', [feat, g.f32(lcg(4, D), [D, 1])])]), g.f32([1], [])], {}, 'class_head/scale');
  g.output(g.op('Sigmoid', [g.op('MatMul', [feat, g.f32(lcg(5, D * 4), [D, 4])])]), 'pred_boxes', 'float32', [P, 4]);
  const qe = g.op('MatMul', [g.op('Tanh', [g.op('MatMul', [q, g.f32(lcg(6, C * D), [C, D])])]), g.f32(lcg(7, D * D), [D, D])], {}, 'text_projection');
  const qn = g.op('Div', [qe, g.op('Add', [g.op('ReduceL2', [qe], { axes: [1], keepdims: 1 }), g.f32([1e-6], [])])]);
  const logits = g.op('Mul', [g.op('Add', [g.op('MatMul', [img, g.op('Transpose', [qn], { perm: [1, 0] })]), shift]), scale]);
  g.output(logits, 'logits', 'float32', [P, Q]);
  return g.encode();
}

const feeds = { pixel_values: { type: 'float32' as const, data: lcg(11, P * C), dims: [P, C] }, queries: { type: 'float32' as const, data: lcg(12, Q * C), dims: [Q, C] } };
const sub = (f: Record<string, TensorData>, names: string[]) => Object.fromEntries(names.map((n) => [n, f[n]]));
const f32 = (t: TensorData) => t.data as Float32Array;

describe('split (subgraph extraction)', () => {
  it('OWL-ViT in parts: image part and query part equal the one graph, and the JS class head gives its logits', async () => {
    const bytes = owlLike();
    // the one graph, with the head's intermediate values listed as outputs so they can be compared
    const all = extractModel(decodeModel(bytes), { inputs: ['pixel_values', 'queries'], outputs: ['logits', 'pred_boxes', 'class_head/Div', 'class_head/shift', 'class_head/scale', 'text_projection'] });
    const whole = await runFresh(encodeModel(all), feeds);
    const model = decodeModel(bytes);
    const image = extractModel(model, { inputs: ['pixel_values'], outputs: ['class_head/Div', 'class_head/shift', 'class_head/scale', 'pred_boxes'], renames: { 'class_head/Div': 'image_class_embeds', 'class_head/shift': 'logit_shift', 'class_head/scale': 'logit_scale' } });
    const query = extractModel(model, { inputs: ['queries'], outputs: ['text_projection'], renames: { text_projection: 'query_embeds' } });
    expect(image.graph!.input!.map((i) => i.name)).toEqual(['pixel_values']);
    expect(query.graph!.input!.map((i) => i.name)).toEqual(['queries']);
    expect(image.graph!.output!.map((o) => o.name)).toEqual(['image_class_embeds', 'logit_shift', 'logit_scale', 'pred_boxes']);
    // the query part carries none of the image tower's weights, the image part none of the text tower's
    expect(query.graph!.initializer!.length).toBe(2);
    const imgOut = (await runFresh(encodeModel(image), sub(feeds, ['pixel_values']))).outputs;
    const qOut = (await runFresh(encodeModel(query), sub(feeds, ['queries']))).outputs;
    expect(f32(imgOut.image_class_embeds)).toEqual(f32(whole.outputs['class_head/Div']));
    expect(f32(imgOut.pred_boxes)).toEqual(f32(whole.outputs.pred_boxes));
    expect(f32(qOut.query_embeds)).toEqual(f32(whole.outputs.text_projection));
    // the class head as shared/vision's head computes it (contract: q̂ = q / (|q| + 1e-6))
    const e = f32(imgOut.image_class_embeds), qe = f32(qOut.query_embeds), sh = f32(imgOut.logit_shift), sc = f32(imgOut.logit_scale);
    const want = f32(whole.outputs.logits);
    for (let p = 0; p < P; p++) {
      for (let j = 0; j < Q; j++) {
        let norm = 0, dot = 0;
        for (let d = 0; d < D; d++) norm += qe[j * D + d] ** 2;
        for (let d = 0; d < D; d++) dot += e[p * D + d] * (qe[j * D + d] / (Math.sqrt(norm) + 1e-6));
        expect(Math.abs((dot + sh[p]) * sc[p] - want[p * Q + j])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[p * Q + j])));
      }
    }
  }, 60_000);

  it('names the graph input an output needs when it is not among the inputs', () => {
    expect(() => extractModel(decodeModel(owlLike()), { inputs: ['queries'], outputs: ['logits'] })).toThrow(/depend on the graph input "pixel_values"/);
  });

  const owl = join(DEFAULT_SHARED, 'stripped', 'owlvit_b32_768_T2_int8.onnx');
  it.skipIf(!existsSync(owl))('finds the contract tensors in the OWL-ViT look-alike: the image part needs only pixels, the query part only tokens', () => {
    const model = decodeModel(new Uint8Array(readFileSync(owl)));
    const image = extractModel(model, { inputs: ['pixel_values'], outputs: Object.values(OWL_IMAGE_OUTPUTS) });
    const query = extractModel(model, { inputs: ['input_ids', 'attention_mask'], outputs: Object.values(OWL_QUERY_OUTPUT) });
    expect(image.graph!.input!.map((i) => i.name)).toEqual(['pixel_values']);
    expect(query.graph!.input!.map((i) => i.name).sort()).toEqual(['attention_mask', 'input_ids']);
    // the two parts share no compute node: the class head is what joins them, and it runs in JS
    const names = (m: typeof image) => new Set(m.graph!.node!.filter((n) => n.opType !== 'Constant').map((n) => n.name));
    const qn = names(query);
    expect([...names(image)].filter((n) => qn.has(n))).toEqual([]);
  });
});
