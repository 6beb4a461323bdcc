import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Drain } from '../lifecycle/drain.js';

/** Down from the first SIGTERM on: the load balancer stops sending this node anything new. */
@Injectable()
export class DrainHealthIndicator {
  constructor(
    private readonly drain: Drain,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'drain') {
    const session = this.indicators.check(key);
    return this.drain.draining
      ? session.down({ draining: true, remainingMs: this.drain.remainingMs() })
      : session.up();
  }
}
