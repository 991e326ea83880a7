/**
 * Collapses concurrent calls for one key into one: the first caller's work is shared by everyone who asks
 * while it runs, and forgotten when it settles (success or failure), so a later call starts afresh.
 */
export class SingleFlight<T> {
  private inflight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key);
    if (!p) {
      p = work().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  has(key: string): boolean {
    return this.inflight.has(key);
  }
}
