/** Resident memory of each convene process over a run, sampled from /proc once a second. */
import { readFileSync } from 'node:fs';
import type { TestCluster } from '../../test/support/cluster.js';

export interface MemorySeries {
  node: string;
  pid: number;
  samples: number;
  firstMiB: number;
  /** At the end of the steady load phase (before any fault), when this process lived then. */
  steadyMiB: number | null;
  maxMiB: number;
  lastMiB: number;
}

function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

export class MemorySampler {
  private readonly series = new Map<string, { node: string; pid: number; values: number[] }>();
  private readonly steady = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly cluster: TestCluster) {}

  start(everyMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** Marks the end of the steady phase: each live process's RSS now. */
  markSteady(): void {
    for (const [key, s] of this.series) this.steady.set(key, s.values[s.values.length - 1]);
  }

  stop(): MemorySeries[] {
    clearInterval(this.timer);
    return [...this.series.entries()].map(([key, s]) => ({
      node: s.node,
      pid: s.pid,
      samples: s.values.length,
      firstMiB: s.values[0],
      steadyMiB: this.steady.get(key) ?? null,
      maxMiB: Math.max(...s.values),
      lastMiB: s.values[s.values.length - 1],
    }));
  }

  private sample(): void {
    for (const node of this.cluster.nodes) {
      const pid = node.process?.pid;
      if (!pid || !node.running) continue;
      const rss = rssMiB(pid);
      if (rss === undefined) continue;
      const key = `${node.id}/${pid}`;
      let s = this.series.get(key);
      if (!s) this.series.set(key, (s = { node: node.id, pid, values: [] }));
      s.values.push(rss);
    }
  }
}
