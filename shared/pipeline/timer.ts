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

  total(): Record<string, number> {
    return { ...this.timings, total: round(performance.now() - this.t0) };
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
