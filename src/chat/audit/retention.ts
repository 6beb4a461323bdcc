import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { chatConfig } from '../../config/configuration.js';
import { AuditSigning } from './audit-signing.js';

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
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const rooms = await this.dataSource.query<{ room_id: string }[]>(
      `SELECT DISTINCT room_id FROM chat_messages WHERE created_at < $1`,
      [cutoff],
    );
    let removed = 0;
    for (const { room_id: roomId } of rooms) {
      for (;;) {
        const deleted = await this.purgeRoom(roomId, cutoff, batchRows);
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

  private purgeRoom(roomId: string, cutoff: Date, batchRows: number): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      // The one sanctioned path past the append-only triggers, for this transaction only.
      await tx.query(`SELECT set_config('convene.audit_purge', 'on', true)`);
      const [head] = await tx.query<{ last_seq: string }[]>(
        `SELECT last_seq FROM chat_chain_heads WHERE room_id = $1 FOR UPDATE`,
        [roomId],
      );
      if (!head) return 0;
      const [range] = await tx.query<{ keep_from: string | null; first: string | null }[]>(
        `SELECT (SELECT min(seq) FROM chat_messages WHERE room_id = $1 AND created_at >= $2)
                  AS keep_from,
                (SELECT min(seq) FROM chat_messages WHERE room_id = $1) AS first`,
        [roomId, cutoff],
      );
      if (!range || range.first === null) return 0;
      // Only a prefix of the chain can go, so a newer row never loses its predecessor's hash.
      const prefixEnd =
        range.keep_from === null ? Number(head.last_seq) : Number(range.keep_from) - 1;
      const upTo = Math.min(prefixEnd, Number(range.first) + batchRows - 1);
      const [last] = await tx.query<{ hash: string }[]>(
        `SELECT hash FROM chat_messages WHERE room_id = $1 AND seq = $2`,
        [roomId, upTo],
      );
      if (!last) return 0;
      const [, deleted] = await tx.query<[unknown, number]>(
        `DELETE FROM chat_messages WHERE room_id = $1 AND seq <= $2`,
        [roomId, upTo],
      );
      await tx.query(
        `INSERT INTO chat_checkpoints (room_id, seq, hash, purged_count, signature)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,
           purged_count = chat_checkpoints.purged_count + EXCLUDED.purged_count,
           signature = EXCLUDED.signature, created_at = now()`,
        [roomId, upTo, last.hash, deleted, this.signing.checkpoint(roomId, upTo, last.hash)],
      );
      return deleted;
    });
  }
}
