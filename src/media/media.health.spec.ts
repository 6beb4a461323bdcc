import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MediaHealthIndicator } from './media.health.js';
import type { WorkerLiveness } from './worker-pool.js';

const indicator = (liveness: WorkerLiveness) =>
  new MediaHealthIndicator({ liveness: () => liveness }, new HealthIndicatorService());

describe('MediaHealthIndicator', () => {
  it('is up when every worker runs', () => {
    assert.deepEqual(indicator({ workers: 2, live: 2 }).check(), {
      media: { status: 'up', workers: 2, live: 2 },
    });
  });

  it('is degraded, not down, while some workers are being replaced', () => {
    assert.equal(indicator({ workers: 2, live: 1 }).check().media.status, 'degraded');
  });

  it('is down when no worker runs', () => {
    assert.equal(indicator({ workers: 2, live: 0 }).check().media.status, 'down');
  });
});
