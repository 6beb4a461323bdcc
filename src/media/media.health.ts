import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { WorkerPool } from './worker-pool.js';

/**
 * Readiness of the SFU: up when every worker runs; degraded (still ready) while some are being
 * replaced; down when none runs, so the pod takes no new rooms until a replacement is up.
 */
@Injectable()
export class MediaHealthIndicator {
  constructor(
    @Inject(WorkerPool) private readonly pool: Pick<WorkerPool, 'liveness'>,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'media') {
    const liveness = this.pool.liveness();
    const session = this.indicators.check(key);
    if (liveness.live === liveness.workers) return session.up({ ...liveness });
    if (liveness.live > 0) return session.degraded({ ...liveness });
    return session.down({ ...liveness });
  }
}
