import { Controller, Get, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import { MediaHealthIndicator } from '../media/media.health.js';
import { DrainHealthIndicator } from './drain.health.js';
import { HealthCheckFilter } from './health-check.filter.js';

@ApiTags('health')
@Public()
@UseFilters(HealthCheckFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly media: MediaHealthIndicator,
    private readonly drain: DrainHealthIndicator,
  ) {}

  /**
   * Liveness.
   *
   * @remarks
   * The process is up and serving HTTP (Kubernetes liveness probe). No API key.
   */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness.
   *
   * @remarks
   * Ready to take traffic: not draining (503 from SIGTERM on), the database answers within 1.5 s
   * and a mediasoup worker runs (Kubernetes readiness probe). No API key.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    // Media reports `degraded` (still 200) while some of its workers are being replaced.
    return this.health.check([
      () => this.drain.check('drain'),
      () => this.db.pingCheck('database', { timeout: 1500 }),
      () => this.media.check('media'),
    ]);
  }
}
