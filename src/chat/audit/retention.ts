import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { chatConfig } from '../../config/configuration.js';
import { AuditSigning } from './audit-signing.js';
import { AuditStore } from './audit.store.js';

const HOURLY = 3_600_000;
/** Rows removed per transaction: each holds the room's chain head only briefly. */
export const PURGE_BATCH_ROWS = 5_000;

/**
 * Purges audit rows older than CONVENE_CHAT_RETENTION_DAYS, a prefix of each room's chain at a
 * time, and records a checkpoint (last purged seq and its hash) so the rest still verifies.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditRetention');

  constructor(
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
    private readonly store: AuditStore,
    private readonly scheduler: SchedulerRegistry,
    private readonly signing: AuditSigning,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retentionDays === undefined) return;
    const run = () =>
      this.purge().catch((error: unknown) =>
        this.logger.error({ err: error }, 'retention purge failed'),
      );
    this.scheduler.addInterval(
      'chat-retention',
      setInterval(() => void run(), HOURLY),
    );
    setTimeout(() => void run(), 5_000).unref();
  }

  /**
   * Purges rows older than the retention period (or than `cutoff`); returns rows removed. Each
   * room's old prefix goes in transactions of at most `batchRows` rows, oldest first, each
   * moving the checkpoint forward, so a large backlog neither blocks the room's chat for long
   * nor runs into the statement timeout.
   */
  async purge(cutoff = this.cutoff(), batchRows = PURGE_BATCH_ROWS): Promise<number> {
    if (!cutoff) return 0;
    const rooms = await this.store.roomsWithRowsBefore(cutoff);
    let removed = 0;
    for (const roomId of rooms) {
      for (;;) {
        const deleted = await this.store.purgeStep(roomId, cutoff, batchRows, this.signing);
        removed += deleted;
        if (deleted < batchRows) break;
      }
    }
    if (removed > 0)
      this.logger.log({ removed, rooms: rooms.length, cutoff }, 'chat retention purge');
    return removed;
  }

  private cutoff(): Date | undefined {
    const days = this.config.retentionDays;
    return days === undefined ? undefined : new Date(Date.now() - days * 86_400_000);
  }
}
