import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { inList } from '../../database/sql-check.js';
import { CHAT_KINDS, type ChatKind } from '../../protocol/events.js';
import { HASH_VERSIONS, type HashVersion } from './hash-chain.js';

/**
 * One audited chat message: a link in its room's hash chain. Rows are never updated; PostgreSQL
 * refuses it (migration AuditAppendOnly), and deletes except by the retention purge.
 */
@Entity({ name: 'chat_messages' })
@Unique('uq_chat_messages_room_seq', ['roomId', 'seq'])
@Unique('uq_chat_messages_sender_client_message', ['senderId', 'clientMessageId'])
@Index('ix_chat_messages_room_sender_seq', ['roomId', 'senderId', 'seq'])
@Index('ix_chat_messages_room_kind_seq', ['roomId', 'kind', 'seq'])
@Index('ix_chat_messages_created_at', ['createdAt'])
@Index('ix_chat_messages_room_recipient_seq', ['roomId', 'recipientId', 'seq'], {
  where: 'recipient_id IS NOT NULL',
})
@Check('ck_chat_messages_kind', inList('kind', CHAT_KINDS))
@Check('ck_chat_messages_hash_version', inList('hash_version', HASH_VERSIONS))
@Check('ck_chat_messages_recipient', `(kind = 'private') = (recipient_id IS NOT NULL)`)
export class ChatMessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'room_id', type: 'uuid' })
  @ForeignKey('RoomEntity', { name: 'fk_chat_messages_room', onDelete: 'RESTRICT' })
  roomId!: string;

  /** Per-room, gapless, starting at 1. bigint arrives as a string from pg. */
  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: ChatKind;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId!: string;

  @Column({ name: 'sender_name', type: 'varchar', length: 100 })
  senderName!: string;

  @Column({ name: 'recipient_id', type: 'uuid', nullable: true })
  recipientId!: string | null;

  @Column({ name: 'recipient_name', type: 'varchar', length: 100, nullable: true })
  recipientName!: string | null;

  @Column({ type: 'text' })
  text!: string;

  @Column({ name: 'client_message_id', type: 'uuid' })
  clientMessageId!: string;

  /** Stored with microseconds; a Date holds milliseconds (the audit reads use utcMicrosSql). */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;

  /** The form `hash` was computed with (hash-chain.ts); rows before version 2 have 1. */
  @Column({ name: 'hash_version', type: 'smallint', default: 1 })
  hashVersion!: HashVersion;
}
