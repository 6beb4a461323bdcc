import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind } from '../protocol/events.js';
import { HostControls } from '../rooms/host-controls.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { type MediaCaller, MediaService } from './media.service.js';

/**
 * What hosts (and the admin API) do to others' microphones and cameras: mute (soft or hard),
 * allow to unmute, mute everyone, ask to unmute. A hard mute is stored before the streams are
 * paused, so a resume or produce that races it is caught by MediaService's check after it.
 */
@Injectable()
export class HostMute {
  constructor(
    private readonly media: MediaService,
    private readonly controls: HostControls,
    private readonly membership: RoomMembership,
  ) {}

  /** Pauses the participant's `kind` producers (hard: they cannot unmute); returns their ids. */
  async mute(
    roomId: string,
    participantId: string,
    kind: MediaKind,
    hard = false,
  ): Promise<string[]> {
    await this.media.assertPresent(roomId, participantId);
    if (hard) await this.controls.setMutedByHost(roomId, participantId, kind, true);
    return this.media.mute(roomId, participantId, kind);
  }

  /** Lifts a hard mute (also of someone not connected now); returns the hard mutes left. */
  allowUnmute(roomId: string, participantId: string, kind: MediaKind): Promise<MediaKind[]> {
    return this.controls.setMutedByHost(roomId, participantId, kind, false);
  }

  /**
   * Mutes the microphone of everyone in the room who is not a host (hosts run the meeting, and
   * could lift a hard mute of their own anyway); returns whom.
   */
  async muteAll(roomId: string, hard = false): Promise<string[]> {
    const others = (await this.membership.members(roomId))
      .filter((m) => m.role !== 'host')
      .map((m) => m.participantId);
    if (hard) await this.controls.muteMany(roomId, others, 'audio');
    await Promise.all(others.map((participantId) => this.muteIfPresent(roomId, participantId)));
    return others;
  }

  /** Someone who left since the list was read has nothing left to mute. */
  private async muteIfPresent(roomId: string, participantId: string): Promise<void> {
    await this.media.mute(roomId, participantId, 'audio').catch((error: unknown) => {
      if (!(error instanceof DomainError && error.code === ErrorCode.PARTICIPANT_NOT_FOUND))
        throw error;
    });
  }

  /** Asks someone in the room to unmute `kind`; they answer with media:answerUnmute. */
  async askToUnmute(roomId: string, participantId: string, kind: MediaKind): Promise<void> {
    await this.media.assertPresent(roomId, participantId);
    await this.controls.askUnmute(roomId, participantId, kind);
  }

  /** The caller's answer to a host's ask: accepting lifts a hard mute and resumes their `kind`. */
  async answer(caller: MediaCaller, kind: MediaKind, accept: boolean): Promise<void> {
    await this.controls.answerUnmute(caller, kind, accept);
    if (accept) await this.media.resumeKind(caller, kind);
  }
}
