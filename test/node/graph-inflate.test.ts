/// <reference types="node" />
/**
 * Inflation of weight-stripped look-alikes: every ConstantOfShape weight becomes an initializer of the same name,
 * shape and dtype; int8 weights sit around their graph's zero point; generation is deterministic (same bytes every
 * time, so the set's pinned hashes hold); the result runs with finite outputs. On a generated stripped graph
 * (always) and on the stripped MobileCLIP-S0 look-alike against its real-size twin (needs ../shared/lookalike-models).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARED } from '../../models/commands/lookalikes';
import { inflateModel } from '../../models/graph/inflate';
import { runFresh } from '../../models/graph/measure';
import { decodeModel, DT, encodeModel, type Model } from '../../models/graph/proto';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';

/** x [1,16] -> DynamicQuantizeLinear -> MatMulInteger(stripped uint8 [16,32], zero point 120) -> scale -> MatMul(stripped float [32,4]). */
function strippedGraph(): Uint8Array {
  const g = new GraphBuilder('stripped');
  const x = g.input('x', 'float32', [1, 16]);
  const [q, s, zp] = g.opMulti('DynamicQuantizeLinear', [x], 3);
  const wq = g.op('ConstantOfShape', [g.i64([16, 32])], { value: { name: '', type: 'uint8', dims: [1], data: new Uint8Array([0]) } }, 'fc1.weight_quantized');
  const wzp = g.init({ name: 'fc1.weight_zero_point', type: 'uint8', dims: [], data: new Uint8Array([120]) });
  const wscale = g.f32([0.004], []);
  const acc = g.op('Cast', [g.op('MatMulInteger', [q, wq, zp, wzp])], { to: DT.FLOAT });
  const h = g.op('Mul', [acc, g.op('Mul', [s, wscale])]);
  const w2 = g.op('ConstantOfShape', [g.i64([32, 4])], { value: { name: '', type: 'float32', dims: [1], data: new Float32Array([0]) } }, 'fc2.weight');
  g.output(g.op('MatMul', [h, w2]), 'y', 'float32', [1, 4]);
  return g.encode();
}

const strippedWeights = (m: Model) => {
  const inits = new Set(m.graph!.initializer!.map((t) => t.name));
  return m.graph!.node!.filter((n) => n.opType === 'ConstantOfShape' && inits.has(n.input![0])).length;
};

describe('inflate', () => {
  it('turns stripped weights into deterministic initializers around their zero point, and the graph runs', async () => {
    const model = decodeModel(strippedGraph());
    expect(strippedWeights(model)).toBe(2);
    const report = inflateModel(model);
    expect(report.weights).toBe(2);
    expect(strippedWeights(model)).toBe(0);
    const w1 = model.graph!.initializer!.find((t) => t.name === 'fc1.weight_quantized')!;
    expect(w1.dataType).toBe(DT.UINT8);
    expect(w1.dims!.map(Number)).toEqual([16, 32]);
    const q = w1.rawData!;
    const mean = q.reduce((a, b) => a + b, 0) / q.length;
    expect(Math.abs(mean - 120)).toBeLessThan(4);
    expect(Math.max(...q) - Math.min(...q)).toBeGreaterThan(100); // spread over the quantisation range, not a constant
    const w2 = model.graph!.initializer!.find((t) => t.name === 'fc2.weight')!;
    const f = new Float32Array(w2.rawData!.slice().buffer);
    const std = Math.sqrt(f.reduce((a, b) => a + b * b, 0) / f.length);
    expect(std).toBeGreaterThan(0.1); // N(0, 1/fan_in): 1/sqrt(32) = 0.18
    expect(std).toBeLessThan(0.3);
    const again = decodeModel(strippedGraph());
    inflateModel(again);
    expect(encodeModel(again)).toEqual(encodeModel(model));
    const { outputs } = await runFresh(encodeModel(model), { x: { type: 'float32', data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), dims: [1, 16] } });
    const y = outputs.y.data as Float32Array;
    expect(y.every(Number.isFinite)).toBe(true);
    expect(y.some((v) => v !== 0)).toBe(true);
  });

  const stripped = join(DEFAULT_SHARED, 'stripped', 'mobileclip_s0_vision_approx_fastvit_mci0_int8.onnx');
  const full = join(DEFAULT_SHARED, 'mobileclip_s0_vision_approx_fastvit_mci0_int8.onnx');
  it.skipIf(!existsSync(stripped) || !existsSync(full))('inflates the stripped MobileCLIP-S0 look-alike to its real size, with finite outputs of the same magnitude', async () => {
    const model = decodeModel(new Uint8Array(readFileSync(stripped)));
    const report = inflateModel(model);
    expect(report.weights).toBe(92);
    expect(strippedWeights(model)).toBe(0);
    const bytes = encodeModel(model);
    const real = readFileSync(full);
    expect(Math.abs(bytes.length - real.length) / real.length).toBeLessThan(0.001);
    const feeds = { pixel_values: { type: 'float32' as const, data: Float32Array.from({ length: 3 * 256 * 256 }, (_, i) => (i % 251) / 251), dims: [1, 3, 256, 256] } };
    const ours = (await runFresh(bytes, feeds)).outputs.out.data as Float32Array;
    const theirs = (await runFresh(new Uint8Array(real), feeds)).outputs.out.data as Float32Array;
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(ours.every(Number.isFinite)).toBe(true);
    // random weights of the same distribution: the same order of magnitude as the real-size look-alike's output
    expect(rms(ours) / rms(theirs)).toBeGreaterThan(0.2);
    expect(rms(ours) / rms(theirs)).toBeLessThan(5);
  }, 60_000);
});
