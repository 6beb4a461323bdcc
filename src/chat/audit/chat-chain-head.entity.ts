import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/**
 * A room's chain head: the last seq and its hash, locked FOR UPDATE by every append to the
 * room. PostgreSQL lets it only move forward and never deletes it (migration AuditAppendOnly).
 */
@Entity({ name: 'chat_chain_heads' })
export class ChatChainHeadEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid' })
  @ForeignKey('RoomEntity', { name: 'fk_chat_chain_heads_room', onDelete: 'RESTRICT' })
  roomId!: string;

  /** 0 before the first message. bigint arrives as a string from pg. */
  @Column({ name: 'last_seq', type: 'bigint' })
  lastSeq!: string;

  /** The hash of message `lastSeq` (64 zeros before the first message). */
  @Column({ name: 'last_hash', type: 'char', length: 64 })
  lastHash!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** HMAC of the head with CONVENE_AUDIT_SIGNING_KEY (audit-signing.ts); null without a key. */
  @Column({ type: 'char', length: 64, nullable: true })
  signature!: string | null;
}
