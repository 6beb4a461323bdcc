/** One figure of a benchmark, in the shape every bench module returns (`npm run bench` collects them). */
export interface BenchResult {
  /** Which bench module produced it, e.g. `private-chat`. */
  bench: string;
  /** The scenario and the figure, e.g. `convene, 1 room: throughput`. */
  name: string;
  unit: string;
  value: number;
  /** What the ratio compares with (e.g. `bare relay`), and that figure. */
  baseline?: { name: string; value: number };
  /** value / baseline.value. */
  ratio?: number;
  notes?: string;
}

/** A benchmark `npm run bench` runs: bounded in time, loopback only. */
export interface BenchModule {
  name: string;
  describe: string;
  run(): Promise<BenchResult[]>;
}

/** A figure compared with a baseline figure of the same run. */
export function compared(
  bench: string,
  name: string,
  unit: string,
  value: number,
  baseline: { name: string; value: number },
  notes?: string,
): BenchResult {
  return {
    bench,
    name,
    unit,
    value,
    baseline,
    ratio: baseline.value === 0 ? undefined : value / baseline.value,
    notes,
  };
}
