/**
 * A small least-recently-used map for image-level results (embeddings, pixel tensors), keyed by the
 * image's content hash. Bounded because an isolate has 128 MB and a SAM embedding alone is 4 MB.
 * Values are usually promises, so a `prepare` still in flight is shared by the per-entity call.
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /**
   * The cached value, or the one `make` produces. A rejected promise is dropped so the next call
   * retries instead of replaying the failure for the life of the isolate.
   */
  getOrCreate(key: string, make: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    this.set(key, v);
    if (v instanceof Promise) v.catch(() => { if (this.map.get(key) === v) this.map.delete(key); });
    return v;
  }
}
