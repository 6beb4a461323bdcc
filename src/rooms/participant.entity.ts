import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { inList } from '../database/sql-check.js';
import { MEDIA_KINDS, type MediaKind, ROLES, type Role } from '../protocol/events.js';

/** The CHECK of migration AuthAndRooms spells this list out (migrations are history). */
export const ADMISSIONS = ['admitted', 'pending', 'rejected'] as const;
export type Admission = (typeof ADMISSIONS)[number];

/** A CHECK that an array column holds media kinds only. */
function kindsOnly(column: string): string {
  return `${column} <@ ARRAY[${MEDIA_KINDS.map((k) => `'${k}'`).join(', ')}]::varchar[]`;
}

/** A participant identity issued for a room (one per join token); not the live connection. */
@Entity({ name: 'participants' })
@Index('ix_participants_room_id', ['roomId'])
@Check('ck_participants_role', inList('role', ROLES))
@Check('ck_participants_admission', inList('admission', ADMISSIONS))
@Check('ck_participants_muted_by_host', kindsOnly('muted_by_host'))
@Check('ck_participants_unmute_asked', kindsOnly('unmute_asked'))
@Index('ix_participants_room_controls', ['roomId'], {
  where: `hand_raised_at IS NOT NULL OR muted_by_host <> '{}'`,
})
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

  /** Kinds a host muted hard: the participant cannot unmute them until a host allows it. */
  @Column({ name: 'muted_by_host', type: 'varchar', length: 8, array: true, default: () => "'{}'" })
  mutedByHost!: MediaKind[];

  /** Kinds a host asked the participant to unmute, until they answer. */
  @Column({ name: 'unmute_asked', type: 'varchar', length: 8, array: true, default: () => "'{}'" })
  unmuteAsked!: MediaKind[];

  /** When they raised their hand; null while it is down. */
  @Column({ name: 'hand_raised_at', type: 'timestamptz', nullable: true })
  handRaisedAt!: Date | null;
}
