/** Wall-clock stage timings. Local workerd advances clocks during CPU work; deployed Workers only on I/O. */
export class StageTimer {
  readonly timings: Record<string, number> = {};
  private readonly t0 = performance.now();

  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[stage] = round(performance.now() - start);
    }
  }

  /** A point in time since the timer started, e.g. when the LLM request was handed to the runtime. */
  mark(name: string): void {
    this.timings[name] = round(performance.now() - this.t0);
  }

  total(): Record<string, number> {
    return { ...this.timings, total: round(performance.now() - this.t0) };
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
