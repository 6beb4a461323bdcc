/** One cap a new connection must fit under: at most `max` connections counted under `key`. */
export interface SlotLimit {
  key: string;
  max: number;
}

export type SlotResult = { ok: true } | { ok: false; full: string };

/**
 * Counts open connections under keys (a participant, a client address) with caps. In memory on
 * a single node; in Redis when `REDIS_URL` is set, so the caps hold across nodes. A connection
 * is counted under all its keys or none, and counted until released (Redis: until its node stops
 * renewing it, so a node that dies frees its connections).
 */
export abstract class ConnectionSlots {
  /** Counts `connectionId` under every key unless one of them is at its cap. */
  abstract acquire(connectionId: string, limits: readonly SlotLimit[]): Promise<SlotResult>;
  /** Stops counting the connection; releasing twice, or an unknown id, changes nothing. */
  abstract release(connectionId: string): Promise<void>;
}

/** Single-node counts. Each call runs without awaiting, so it is atomic on this node. */
export class InMemoryConnectionSlots extends ConnectionSlots {
  private readonly counts = new Map<string, number>();
  private readonly held = new Map<string, readonly string[]>();

  acquire(connectionId: string, limits: readonly SlotLimit[]): Promise<SlotResult> {
    if (this.held.has(connectionId)) return Promise.resolve({ ok: true });
    const full = limits.find((l) => (this.counts.get(l.key) ?? 0) >= l.max);
    if (full) return Promise.resolve({ ok: false, full: full.key });
    for (const { key } of limits) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.held.set(
      connectionId,
      limits.map((l) => l.key),
    );
    return Promise.resolve({ ok: true });
  }

  release(connectionId: string): Promise<void> {
    const keys = this.held.get(connectionId) ?? [];
    this.held.delete(connectionId);
    for (const key of keys) {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    }
    return Promise.resolve();
  }
}
