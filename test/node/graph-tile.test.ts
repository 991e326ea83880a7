/// <reference types="node" />
/**
 * Row tiling of a convolutional prefix (models/graph/tile.ts): the tiled graph computes exactly what the original
 * computes, and the shard planner can then cut between strips. A halo smaller than the receptive field is caught
 * by this test too (the strips' seams would differ).
 */
import { describe, expect, it } from 'vitest';
import { runFresh } from '../../models/graph/measure';
import { decodeModel, encodeModel } from '../../models/graph/proto';
import { tileRows } from '../../models/graph/tile';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';

const lcg = (seed: number, n: number, scale = 1) => { let s = seed >>> 0; return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale); };

/** x [1,3,64,64] -> conv 3x3 s2 -> relu -> conv 3x3 s2 -> y (the prefix, stride 4) -> Transpose (not local) -> z */
function convNet(): Uint8Array {
  const g = new GraphBuilder('conv');
  const x = g.input('x', 'float32', [1, 3, 64, 64]);
  const c1 = g.op('Relu', [g.op('Conv', [x, g.f32(lcg(1, 8 * 3 * 9, 0.5), [8, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] })]);
  const c2 = g.op('Conv', [c1, g.f32(lcg(2, 8 * 8 * 9, 0.3), [8, 8, 3, 3]), g.f32(lcg(3, 8), [8])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'prefix_out');
  g.output(g.op('Transpose', [c2], { perm: [0, 2, 3, 1] }), 'z', 'float32', [1, 16, 16, 8]);
  return g.encode();
}

describe('row tiling', () => {
  const feeds = { x: { type: 'float32' as const, data: lcg(9, 3 * 64 * 64, 2), dims: [1, 3, 64, 64] } };
  it('computes the same as the untiled prefix when the halo covers the receptive field', async () => {
    const whole = (await runFresh(convNet(), feeds)).outputs.z.data as Float32Array;
    const m = decodeModel(convNet());
    tileRows(m, { input: 'x', output: 'prefix_out', tiles: 4, halo: 8, stride: 4, height: 64 });
    expect(m.graph!.node!.filter((n) => n.opType === 'Conv')).toHaveLength(8);
    const tiled = (await runFresh(encodeModel(m), feeds)).outputs.z.data as Float32Array;
    expect(tiled).toEqual(whole);
  });

  it('differs at the seams when the halo is too small (so the first test can fail)', async () => {
    const whole = (await runFresh(convNet(), feeds)).outputs.z.data as Float32Array;
    const m = decodeModel(convNet());
    tileRows(m, { input: 'x', output: 'prefix_out', tiles: 4, halo: 0, stride: 4, height: 64 });
    const tiled = (await runFresh(encodeModel(m), feeds)).outputs.z.data as Float32Array;
    expect(tiled).not.toEqual(whole);
  });

  it('refuses a prefix with a non-local operator', () => {
    const m = decodeModel(convNet());
    expect(() => tileRows(m, { input: 'x', output: 'z', tiles: 4, halo: 8, stride: 4, height: 64 })).toThrow(/not spatially local/);
  });
});
