import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/**
 * Where a room's chain starts after the retention purge: the last purged seq and its hash.
 * Written only by the purge and by the signing of unsigned checkpoints at start (a trigger
 * enforces it, migration AuditAppendOnly).
 */
@Entity({ name: 'chat_checkpoints' })
export class ChatCheckpointEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid' })
  @ForeignKey('RoomEntity', { name: 'fk_chat_checkpoints_room', onDelete: 'RESTRICT' })
  roomId!: string;

  /** The last purged seq. bigint arrives as a string from pg. */
  @Column({ type: 'bigint' })
  seq!: string;

  /** The hash of row `seq`: the next row's prev_hash. */
  @Column({ type: 'char', length: 64 })
  hash!: string;

  /** Rows purged so far, over all purges of the room. */
  @Column({ name: 'purged_count', type: 'bigint' })
  purgedCount!: string;

  /** When the checkpoint last moved. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** HMAC of the checkpoint with CONVENE_AUDIT_SIGNING_KEY (audit-signing.ts); null without a key. */
  @Column({ type: 'char', length: 64, nullable: true })
  signature!: string | null;
}
