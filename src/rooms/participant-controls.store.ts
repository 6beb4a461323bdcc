import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { MediaKind } from '../protocol/events.js';
import { ParticipantEntity } from './participant.entity.js';

/** What a host set on a participant, and their hand. */
export interface ParticipantControls {
  mutedByHost: MediaKind[];
  handRaisedAt: Date | null;
}

export const NO_CONTROLS: ParticipantControls = Object.freeze({
  mutedByHost: [],
  handRaisedAt: null,
});

type ControlsRow = { id: string; muted_by_host: MediaKind[]; hand_raised_at: Date | null };
const toControls = (row: ControlsRow): ParticipantControls => ({
  mutedByHost: [...row.muted_by_host].sort(),
  handRaisedAt: row.hand_raised_at,
});

/**
 * The SQL of the participants' host-control columns (muted_by_host, unmute_asked,
 * hand_raised_at), each change one atomic statement so that concurrent hosts and nodes agree.
 * Every method is scoped to the room: a participant of another room is "not found" (undefined).
 */
@Injectable()
export class ParticipantControlsStore {
  constructor(
    @InjectRepository(ParticipantEntity)
    private readonly participants: Repository<ParticipantEntity>,
  ) {}

  /** Everyone of the room with a hand up or a hard mute (the others have none). */
  async ofRoom(roomId: string): Promise<Map<string, ParticipantControls>> {
    const rows: ControlsRow[] = await this.participants.query(
      `SELECT id, muted_by_host, hand_raised_at FROM participants
       WHERE room_id = $1 AND (hand_raised_at IS NOT NULL OR muted_by_host <> '{}')`,
      [roomId],
    );
    return new Map(rows.map((row) => [row.id, toControls(row)]));
  }

  async of(roomId: string, participantId: string): Promise<ParticipantControls | undefined> {
    const rows: ControlsRow[] = await this.participants.query(
      `SELECT id, muted_by_host, hand_raised_at FROM participants WHERE id = $1 AND room_id = $2`,
      [participantId, roomId],
    );
    return rows[0] && toControls(rows[0]);
  }

  /** Adds `kind` to (or removes it from) the participant's hard mutes; returns them after. */
  async setMutedByHost(
    roomId: string,
    participantId: string,
    kind: MediaKind,
    muted: boolean,
  ): Promise<MediaKind[] | undefined> {
    const value = muted
      ? `array_append(array_remove(muted_by_host, $3::varchar), $3::varchar)`
      : `array_remove(muted_by_host, $3::varchar)`;
    return this.updateOne(
      `UPDATE participants SET muted_by_host = ${value} WHERE id = $1 AND room_id = $2
       RETURNING id, muted_by_host, hand_raised_at`,
      [participantId, roomId, kind],
    );
  }

  /** Hard-mutes `kind` of several participants of the room at once; returns each one's mutes after. */
  async muteMany(
    roomId: string,
    participantIds: string[],
    kind: MediaKind,
  ): Promise<Map<string, MediaKind[]>> {
    if (participantIds.length === 0) return new Map();
    const [rows] = await this.participants.query<[ControlsRow[], number]>(
      `UPDATE participants
       SET muted_by_host = array_append(array_remove(muted_by_host, $3::varchar), $3::varchar)
       WHERE room_id = $1 AND id = ANY($2::uuid[])
       RETURNING id, muted_by_host, hand_raised_at`,
      [roomId, participantIds, kind],
    );
    return new Map(rows.map((row) => [row.id, toControls(row).mutedByHost]));
  }

  /** Records a host's ask to unmute `kind`; false if no such participant in the room. */
  async askUnmute(roomId: string, participantId: string, kind: MediaKind): Promise<boolean> {
    const [, affected] = await this.participants.query<[unknown, number]>(
      `UPDATE participants
       SET unmute_asked = array_append(array_remove(unmute_asked, $3::varchar), $3::varchar)
       WHERE id = $1 AND room_id = $2`,
      [participantId, roomId, kind],
    );
    return affected > 0;
  }

  /**
   * Takes the pending ask of `kind` (undefined if there is none); accepting also lifts a hard
   * mute of that kind. Returns the hard mutes after.
   */
  answerUnmute(
    roomId: string,
    participantId: string,
    kind: MediaKind,
    accept: boolean,
  ): Promise<MediaKind[] | undefined> {
    return this.updateOne(
      `UPDATE participants
       SET unmute_asked = array_remove(unmute_asked, $3::varchar),
           muted_by_host = CASE WHEN $4 THEN array_remove(muted_by_host, $3::varchar)
                                ELSE muted_by_host END
       WHERE id = $1 AND room_id = $2 AND $3::varchar = ANY(unmute_asked)
       RETURNING id, muted_by_host, hand_raised_at`,
      [participantId, roomId, kind, accept],
    );
  }

  /**
   * Raises the hand unless it is up already; returns when it went up and whether this call
   * raised it (undefined: no such participant in the room).
   */
  async raiseHand(
    roomId: string,
    participantId: string,
  ): Promise<{ raisedAt: Date; raised: boolean } | undefined> {
    const [rows] = await this.participants.query<[{ raised_at: Date; raised: boolean }[], number]>(
      `WITH before AS (SELECT hand_raised_at FROM participants WHERE id = $1 AND room_id = $2 FOR UPDATE)
       UPDATE participants p SET hand_raised_at = COALESCE(before.hand_raised_at, clock_timestamp())
       FROM before WHERE p.id = $1
       RETURNING p.hand_raised_at AS raised_at, before.hand_raised_at IS NULL AS raised`,
      [participantId, roomId],
    );
    const row = rows[0];
    return row && { raisedAt: row.raised_at, raised: row.raised };
  }

  /** Lowers the hand; true if it was up. */
  async lowerHand(roomId: string, participantId: string): Promise<boolean> {
    const [, affected] = await this.participants.query<[unknown, number]>(
      `UPDATE participants SET hand_raised_at = NULL
       WHERE id = $1 AND room_id = $2 AND hand_raised_at IS NOT NULL`,
      [participantId, roomId],
    );
    return affected > 0;
  }

  private async updateOne(sql: string, params: unknown[]): Promise<MediaKind[] | undefined> {
    const [rows] = await this.participants.query<[ControlsRow[], number]>(sql, params);
    return rows[0] && toControls(rows[0]).mutedByHost;
  }
}
