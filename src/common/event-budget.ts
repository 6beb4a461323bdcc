/**
 * A token bucket for one connection's socket events: `ratePerSecond` sustained, bursts up to
 * `burst`. Per connection, so in-process state is right: a connection lives on one node.
 */
export class EventBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes one event's token; false when the connection is over its budget. */
  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000,
    );
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
