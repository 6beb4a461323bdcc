import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type LifecycleConfig, lifecycleConfig } from '../config/configuration.js';

/** Something that must let go of its part of the node before it closes: it resolves when done. */
export type DrainStep = (deadline: Date) => Promise<void>;

export interface DrainEvents {
  /** The drain began: stop taking new work. */
  started: [];
}

/**
 * The node's draining state, from the first SIGTERM until the process exits. `run()` starts the
 * drain (readiness turns false, joins are refused) and resolves once every registered step is
 * done (this node's connections have moved) or `CONVENE_DRAIN_SECONDS` have passed, or at once
 * on `cutShort()` (a second signal).
 */
@Injectable()
export class Drain {
  readonly events = new EventEmitter<DrainEvents>();
  private readonly logger = new Logger('Drain');
  private readonly steps: DrainStep[] = [];
  private running: Promise<void> | undefined;
  private stopWaiting: (() => void) | undefined;
  private deadline: Date | undefined;

  constructor(@Inject(lifecycleConfig.KEY) private readonly config: LifecycleConfig) {}

  get draining(): boolean {
    return this.deadline !== undefined;
  }

  /** Milliseconds left before the drain gives up waiting (0 when not draining or past it). */
  remainingMs(): number {
    return this.deadline ? Math.max(0, this.deadline.getTime() - Date.now()) : 0;
  }

  /** Registers a step the drain waits for (a gateway at init). */
  onDrain(step: DrainStep): void {
    this.steps.push(step);
  }

  /** Starts draining (once) and resolves when the steps are done, the deadline passed, or cut short. */
  run(): Promise<void> {
    this.running ??= this.drain();
    return this.running;
  }

  /** Stops waiting now (a second SIGTERM): the steps are left as they are. */
  cutShort(): void {
    this.stopWaiting?.();
  }

  private async drain(): Promise<void> {
    const ms = this.config.drainSeconds * 1000;
    const deadline = new Date(Date.now() + ms);
    this.deadline = deadline;
    const startedAt = Date.now();
    this.logger.log({ drainSeconds: this.config.drainSeconds }, 'draining');
    this.events.emit('started');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.allSettled(this.steps.map((step) => step(deadline))).then((results) => {
        for (const result of results)
          if (result.status === 'rejected')
            this.logger.error({ err: result.reason as unknown }, 'a drain step failed');
        return 'done' as const;
      }),
      new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), ms))),
      new Promise<'cut short'>((resolve) => (this.stopWaiting = () => resolve('cut short'))),
    ]);
    clearTimeout(timer);
    this.logger.log({ outcome, afterMs: Date.now() - startedAt }, 'drain finished');
  }
}
