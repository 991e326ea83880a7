/**
 * ORT provider for browsers: WebGPU where `navigator.gpu` gives an adapter, else wasm. Not used by the Worker or by
 * Node (no WebGPU there: `navigator.gpu` is undefined in workerd, even with the `webgpu` compatibility flag).
 *
 * Which build: onnxruntime-web's `webgpu` build loads ort-wasm-simd-threaded.asyncify.wasm (26.8 MB) and its `all`
 * build the jsep one (28.3 MB), both over the 25 MiB that Workers Static Assets serve per file; the `jspi` build
 * (WebGPU EP through JS Promise Integration, 16.8 MB) fits, and Chromium ships JSPI. So: `jspi` with
 * ['webgpu', 'wasm'] where there is an adapter and JSPI, else the plain `wasm` build (14.2 MB). The .wasm files are
 * served beside the page (web/build.ts copies them) under `wasmPaths`. Each build is a module singleton, so a failed
 * initialisation is only cleared by reloading the page.
 */
import type { Ort, OrtProvider, OrtSession } from './ort-types';

export type BrowserBackend = 'webgpu' | 'wasm';

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** 'webgpu' only when an adapter is really given (a `navigator.gpu` with no adapter is common) and JSPI exists. */
export async function browserBackend(nav: unknown = (globalThis as { navigator?: unknown }).navigator): Promise<BrowserBackend> {
  const gpu = (nav as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu || !('Suspending' in WebAssembly)) return 'wasm';
  const adapter = await gpu.requestAdapter().catch(() => null);
  return adapter ? 'webgpu' : 'wasm';
}

export interface BrowserOrtOptions {
  /** URL prefix the .wasm files are served under, e.g. '/ort/'. */
  wasmPaths: string;
  /** Force a backend (tests, measurements); default: browserBackend(). */
  backend?: BrowserBackend;
}

export function browserOrt(opts: BrowserOrtOptions): OrtProvider & { backend(): Promise<BrowserBackend> } {
  let chosen: Promise<BrowserBackend> | undefined;
  const backend = () => (chosen ??= opts.backend ? Promise.resolve(opts.backend) : browserBackend());
  return {
    name: 'onnxruntime-web (browser)',
    backend,
    instantiate: async () => {
      const b = await backend();
      const ort = (b === 'webgpu' ? await import('onnxruntime-web/jspi') : await import('onnxruntime-web/wasm')) as unknown as Ort;
      // Only the binary's URL: a prefix would also make ORT fetch the JS glue, which these bundles already contain.
      ort.env.wasm.wasmPaths = { wasm: `${opts.wasmPaths}${b === 'webgpu' ? 'ort-wasm-simd-threaded.jspi.wasm' : 'ort-wasm-simd-threaded.wasm'}` };
      // Threads need cross-origin isolation, which the demo page does not ask for.
      ort.env.wasm.numThreads = 1;
      return { ort: b === 'webgpu' ? oneSessionAtATime(ort) : ort, executionProviders: b === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'], heapBytes: () => null };
    },
  };
}

/**
 * With JSPI, a wasm call that is suspended (awaiting the GPU) must not be entered again: the WebGPU EP refuses a
 * second session creation ("another WebGPU EP inference session is being created"), and a run that overlaps a
 * creation traps. The stages prepare their models concurrently, so every creation and run waits its turn here.
 */
function oneSessionAtATime(ort: Ort): Ort {
  let last: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = last.then(work);
    last = next.catch(() => undefined);
    return next;
  };
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (...a: unknown[]) => Promise<OrtSession>;
  const InferenceSession = Object.assign(Object.create(ort.InferenceSession) as object, {
    create: (...args: unknown[]) => serial(() => create(...args)).then((session) => {
      const run = session.run.bind(session) as (...a: unknown[]) => ReturnType<OrtSession['run']>;
      return Object.assign(session, { run: (...a: unknown[]) => serial(() => run(...a)) });
    }),
  });
  return { ...ort, InferenceSession } as Ort;
}
