/// <reference types="node" />
/**
 * The hand-written ONNX writer checked against the reference decoder (onnx-proto, ONNX 1.10 protobuf):
 * every fixture decodes, and declares exactly the real model's I/O contract.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildFixture } from '../../models/fixtures/index';
import { MODELS } from '../../models/manifest';
import { GraphBuilder } from '../../shared/onnx/onnx-writer';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');
const TYPES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool' };

function decode(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes);
}
const io = (v: { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null }) => ({
  name: v.name,
  type: TYPES[v.type!.tensorType!.elemType!],
  shape: v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
});

describe('ONNX writer', () => {
  it('encodes attributes, negative int64s and raw tensors the way onnx-proto reads them', () => {
    const g = new GraphBuilder('probe');
    const x = g.input('x', 'float32', ['n', 4]);
    g.output(g.op('Reshape', [x, g.i64([-1, 2])], { allowzero: 0, note: 'why', alpha: 0.25, perm: [1, -3] }), 'y', 'float32', ['m', 2]);
    const m = decode(g.encode());
    expect(Number(m.irVersion)).toBe(7);
    expect(m.opsetImport!.map((o) => Number(o.version))).toEqual([13]);
    const node = m.graph!.node!.find((n) => n.opType === 'Reshape')!;
    const attrs = Object.fromEntries(node.attribute!.map((a) => [a.name, a]));
    expect(Number(attrs.allowzero.i)).toBe(0);
    expect(new TextDecoder().decode(attrs.note.s!)).toBe('why');
    expect(attrs.alpha.f).toBe(0.25);
    expect(attrs.perm.ints!.map(Number)).toEqual([1, -3]);
    const shape = m.graph!.initializer![0];
    expect(shape.dims!.map(Number)).toEqual([2]);
    expect(Array.from(new BigInt64Array(new Uint8Array(shape.rawData!).buffer))).toEqual([-1n, 2n]);
    expect(io(m.graph!.input![0])).toEqual({ name: 'x', type: 'float32', shape: ['n', 4] });
  });

  for (const real of MODELS) {
    it(`the ${real.id} fixture declares exactly the manifest contract`, () => {
      const m = decode(buildFixture(real.id));
      expect(m.graph!.input!.map(io)).toEqual(real.inputs.map(({ name, type, shape }) => ({ name, type, shape })));
      expect(m.graph!.output!.map(io).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(real.outputs.map(({ name, type, shape }) => ({ name, type, shape })).sort((a, b) => a.name.localeCompare(b.name)));
    });
  }

  it('generates the same bytes every time (hashes are stable)', () => {
    for (const { id } of MODELS) expect(buildFixture(id)).toEqual(buildFixture(id));
  });
});
