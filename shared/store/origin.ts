/**
 * Where a model file comes from when the bucket does not have it: the published file over HTTP (its pinned URL, or
 * MODEL_ORIGIN_BASE + key), or, for fixtures, the generator.
 */
import { describeNetFailure, urlForDisplay } from '../net-failure';
import { ProblemError } from '../problems';
import type { ModelEntry, ModelFile } from '../onnx/manifest-types';

export interface OriginSource {
  readonly description: string;
  /** The URL (or pseudo-URL) this file would come from; null when the origin cannot serve it. */
  locate(file: ModelFile): string | null;
  fetch(entry: ModelEntry, file: ModelFile): Promise<Uint8Array>;
}

export interface HttpOriginOptions {
  /** Replaces every file's origin URL with base + key (a mirror, or a local server in tests). */
  base?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function httpOrigin(opts: HttpOriginOptions = {}): OriginSource {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const base = opts.base && (opts.base.endsWith('/') ? opts.base : `${opts.base}/`);
  const locate = (file: ModelFile) => (base ? base + file.key : file.origin);
  return {
    description: base ? `origin ${urlForDisplay(base)}` : 'published origin URLs',
    locate,
    async fetch(entry, file) {
      const url = locate(file);
      if (!url) throw new ProblemError('model-store-failed', `Model "${entry.id}": file ${file.key} has no origin URL and MODEL_ORIGIN_BASE is not set.`, { extensions: { model: entry.id, key: file.key } });
      const shown = urlForDisplay(url);
      let res: Response;
      try {
        res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 300_000) });
      } catch (e) {
        throw new ProblemError('model-store-failed', `Model "${entry.id}": downloading ${shown} failed: ${describeNetFailure(e)}.`, { extensions: { model: entry.id, url: shown }, cause: e });
      }
      if (!res.ok) {
        await res.body?.cancel();
        const kind = res.status === 404 ? ' (not found)' : res.status === 401 || res.status === 403 ? ' (access denied)' : '';
        throw new ProblemError('model-store-failed', `Model "${entry.id}": downloading ${shown} answered HTTP ${res.status}${kind}.`, { extensions: { model: entry.id, url: shown, upstream_status: res.status } });
      }
      try {
        return new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        throw new ProblemError('model-store-failed', `Model "${entry.id}": downloading ${shown} broke off: ${describeNetFailure(e)}.`, { extensions: { model: entry.id, url: shown }, cause: e });
      }
    },
  };
}
