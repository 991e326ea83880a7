/**
 * ORT provider for browsers and Deno: the WebGPU build, with the WebGPU execution provider where `navigator.gpu`
 * exists and wasm otherwise. Not used by the Worker or by Node (no WebGPU there: ort-workers.md §7), and not
 * exercised by the test suite, which has no WebGPU. This build is a module singleton, so unlike the wasm factory
 * a failed initialisation here is only cleared by reloading the page.
 */
import type { OrtProvider } from './ort-types';

export function preferredExecutionProviders(nav: unknown = (globalThis as { navigator?: unknown }).navigator): string[] {
  return (nav as { gpu?: unknown } | undefined)?.gpu ? ['webgpu', 'wasm'] : ['wasm'];
}

export const browserOrt: OrtProvider = {
  name: 'onnxruntime-web webgpu build (browser)',
  instantiate: async () => {
    const ort = await import('onnxruntime-web/webgpu');
    return { ort, executionProviders: preferredExecutionProviders(), heapBytes: () => null };
  },
};
