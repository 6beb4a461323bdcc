import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { inList } from '../database/sql-check.js';
import { ROLES, type Role } from '../protocol/events.js';

/** The CHECK of migration AuthAndRooms spells this list out (migrations are history). */
export const ADMISSIONS = ['admitted', 'pending', 'rejected'] as const;
export type Admission = (typeof ADMISSIONS)[number];

/** A participant identity issued for a room (one per join token); not the live connection. */
@Entity({ name: 'participants' })
@Index('ix_participants_room_id', ['roomId'])
@Check('ck_participants_role', inList('role', ROLES))
@Check('ck_participants_admission', inList('admission', ADMISSIONS))
export class ParticipantEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'room_id', type: 'uuid' })
  @ForeignKey('RoomEntity', { name: 'fk_participants_room', onDelete: 'RESTRICT' })
  roomId!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ type: 'varchar', length: 16, default: 'admitted' })
  admission!: Admission;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** IdP identities: `iat` of the token whose role and name are stored; older ones change nothing. */
  @Column({ name: 'idp_issued_at', type: 'timestamptz', nullable: true })
  idpIssuedAt!: Date | null;
}
