/// <reference types="node" />
/**
 * The same runtime in Node (the `models` command's environment): fixtures run with the same code as in workerd,
 * a failed start is recovered from, and the fixtures' recorded peak memory is not below what they take now.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FIXTURE_PEAK_MIB, buildFixture, fixtureEntries } from '../../models/fixtures/index';
import { createModelRuntime } from '../../models/runtime-from-env';
import { inspectModel } from '../../shared/onnx/inspect';
import { instantiateOrt } from '../../shared/onnx/ort-instance';
import { nodeOrt } from '../../shared/onnx/ort-node';
import { browserBackend } from '../../shared/onnx/ort-browser';
import type { OrtProvider } from '../../shared/onnx/ort-types';
import { decoderBFeeds, expectProblem, insideBox, positive } from '../helpers/model-fixtures';

const FIXTURES = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin' };

describe('model runtime in Node', () => {
  it('runs a fixture with the same code as in workerd', async () => {
    const rt = createModelRuntime(FIXTURES, nodeOrt);
    const out = await rt.run('sam-decoder-b', decoderBFeeds([[64, 128, 512, 1000]]));
    expect(positive(out.pred_masks.data as Float32Array, 0, 65536)).toEqual(insideBox(256, 256, 4, [64, 128, 512, 1000]));
  });

  it('recovers from a failed start with a fresh ORT copy', async () => {
    const path = createRequire(import.meta.url).resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm');
    const foreign = await (WebAssembly as unknown as { compile(b: Uint8Array): Promise<WebAssembly.Module> }).compile(readFileSync(path));
    let calls = 0;
    const flaky: OrtProvider = {
      name: 'flaky node provider',
      instantiate: async () => (++calls === 1 ? instantiateOrt(foreign) : nodeOrt.instantiate()),
    };
    const rt = createModelRuntime(FIXTURES, flaky);
    await expectProblem(rt.load('mobileclip-s0-text'), 'stage-failed', /failed to start/);
    await rt.load('mobileclip-s0-text');
    expect(rt.ort.starts).toBe(2);
  });

  it('recorded fixture peaks are not below a fresh measurement on the manifest examples', async () => {
    for (const entry of await fixtureEntries()) {
      const r = await inspectModel(nodeOrt, buildFixture(entry.id), { runs: 1, specs: entry.inputs });
      expect(FIXTURE_PEAK_MIB[entry.id] * 2 ** 20, entry.id).toBeGreaterThanOrEqual(r.peakHeapBytes);
    }
  });

  it('asks for WebGPU only where navigator.gpu gives an adapter (and JSPI exists)', async () => {
    const withAdapter = { gpu: { requestAdapter: async () => ({}) } };
    const jspi = 'Suspending' in WebAssembly;
    expect(await browserBackend(withAdapter)).toBe(jspi ? 'webgpu' : 'wasm');
    expect(await browserBackend({ gpu: { requestAdapter: async () => null } })).toBe('wasm');
    expect(await browserBackend({ gpu: { requestAdapter: async () => { throw new Error('no GPU process'); } } })).toBe('wasm');
    expect(await browserBackend({})).toBe('wasm');
    expect(await browserBackend(undefined)).toBe('wasm');
  });
});
