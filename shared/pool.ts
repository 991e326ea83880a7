/**
 * Runs per-item work with bounded concurrency, results in item order. A Worker may hold only six
 * outgoing connections per request and a provider's rate limit is per second, so the recognizer's
 * `per_entity` mode never fires one call per entity at once; the eval driver keeps N posts in flight.
 * The first failure aborts the rest and is the error reported.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, signal: AbortSignal) => Promise<R>, outer?: AbortSignal): Promise<R[]> {
  const ctrl = new AbortController();
  const onOuter = () => ctrl.abort(outer!.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener('abort', onOuter, { once: true });
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { e: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && !ctrl.signal.aborted) {
      const i = next++;
      try {
        results[i] = await fn(items[i], ctrl.signal);
      } catch (e) {
        if (!firstError) {
          firstError = { e };
          ctrl.abort(e);
        }
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    outer?.removeEventListener('abort', onOuter);
  }
  if (outer?.aborted) throw outer.reason;
  if (firstError) throw (firstError as { e: unknown }).e;
  return results;
}
