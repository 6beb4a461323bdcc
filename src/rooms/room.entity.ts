import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { inList } from '../database/sql-check.js';
import { SCREEN_SHARE_POLICIES, type ScreenSharePolicy } from '../protocol/events.js';

/** The CHECK of migration AuthAndRooms spells this list out (migrations are history). */
export const ROOM_STATUSES = ['open', 'closed'] as const;
export type RoomStatus = (typeof ROOM_STATUSES)[number];

@Entity({ name: 'rooms' })
@Index('ix_rooms_status_created_at', ['status', 'createdAt', 'id'])
@Check('ck_rooms_status', inList('status', ROOM_STATUSES))
@Check('ck_rooms_screen_share', inList('screen_share', SCREEN_SHARE_POLICIES))
@Check('ck_rooms_max_participants', 'max_participants IS NULL OR max_participants > 0')
export class RoomEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: RoomStatus;

  @Column({ name: 'max_participants', type: 'integer', nullable: true })
  maxParticipants!: number | null;

  @Column({ type: 'boolean', default: false })
  lobby!: boolean;

  /** Who may share their screen (the deployment may refuse guests regardless). */
  @Column({ name: 'screen_share', type: 'varchar', length: 16, default: 'everyone' })
  screenShare!: ScreenSharePolicy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}
