import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { type WebhooksConfig, webhooksConfig } from '../config/configuration.js';
import { WebhookDeliveries } from './webhook-deliveries.repository.js';

const HOURLY = 3_600_000;
/** Rows deleted per statement, so a large backlog never runs into the statement timeout. */
const PURGE_BATCH_ROWS = 5_000;

/**
 * Deletes delivered and failed deliveries older than CONVENE_WEBHOOK_RETENTION_DAYS, hourly on
 * every node (deleting is idempotent); pending ones stay until they are done.
 */
@Injectable()
export class WebhookRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('WebhookRetention');

  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly scheduler: SchedulerRegistry,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = () =>
      this.purge().catch((error: unknown) =>
        this.logger.error({ err: error }, 'webhook retention purge failed'),
      );
    this.scheduler.addInterval(
      'webhook-retention',
      setInterval(() => void run(), HOURLY),
    );
  }

  /** Deletes finished deliveries enqueued before `cutoff` (default: the retention period); returns how many. */
  async purge(
    cutoff = new Date(Date.now() - this.config.retentionDays * 86_400_000),
  ): Promise<number> {
    let removed = 0;
    for (;;) {
      const deleted = await this.deliveries.purgeFinished(cutoff, PURGE_BATCH_ROWS);
      removed += deleted;
      if (deleted < PURGE_BATCH_ROWS) break;
    }
    if (removed > 0) this.logger.log({ removed, cutoff }, 'webhook retention purge');
    return removed;
  }
}
