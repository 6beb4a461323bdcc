import { Injectable } from '@nestjs/common';
import { ConferenceServer } from '../conference/conference-server.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind } from '../protocol/events.js';
import { ParticipantControlsStore } from './participant-controls.store.js';

const notInRoom = (participantId: string) =>
  new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, `No participant ${participantId} in this room`);

/**
 * The rooms module's side of host mutes for media: what a host muted hard (stored on the
 * participant, so it holds across reconnects and nodes) and asks to unmute. Every change is
 * told to whom it concerns; pausing and resuming streams is the media module's part.
 */
@Injectable()
export class HostControls {
  constructor(
    private readonly store: ParticipantControlsStore,
    private readonly server: ConferenceServer,
  ) {}

  /** What a host muted hard for the participant (nothing for someone unknown). */
  async mutedByHost(roomId: string, participantId: string): Promise<MediaKind[]> {
    return (await this.store.of(roomId, participantId))?.mutedByHost ?? [];
  }

  /** Sets or lifts a hard mute of `kind`; the room is told. PARTICIPANT_NOT_FOUND if not issued here. */
  async setMutedByHost(
    roomId: string,
    participantId: string,
    kind: MediaKind,
    muted: boolean,
  ): Promise<MediaKind[]> {
    const mutedByHost = await this.store.setMutedByHost(roomId, participantId, kind, muted);
    if (!mutedByHost) throw notInRoom(participantId);
    this.changed(roomId, participantId, mutedByHost);
    return mutedByHost;
  }

  /** Hard-mutes `kind` of each of them at once; the room is told of each. */
  async muteMany(roomId: string, participantIds: string[], kind: MediaKind): Promise<void> {
    const after = await this.store.muteMany(roomId, participantIds, kind);
    for (const [participantId, mutedByHost] of after)
      this.changed(roomId, participantId, mutedByHost);
  }

  /** Records the ask (it stays until answered) and asks the participant. */
  async askUnmute(roomId: string, participantId: string, kind: MediaKind): Promise<void> {
    if (!(await this.store.askUnmute(roomId, participantId, kind))) throw notInRoom(participantId);
    this.tell((s) => s.tellParticipants([participantId], 'media:unmuteRequested', { kind }));
  }

  /**
   * Answers the pending ask of `kind` (UNMUTE_NOT_REQUESTED without one): hosts are told;
   * accepting lifts a hard mute of that kind (the room is told).
   */
  async answerUnmute(
    caller: { roomId: string; participantId: string },
    kind: MediaKind,
    accept: boolean,
  ): Promise<void> {
    const { roomId, participantId } = caller;
    const mutedByHost = await this.store.answerUnmute(roomId, participantId, kind, accept);
    if (!mutedByHost) {
      throw new DomainError(
        ErrorCode.UNMUTE_NOT_REQUESTED,
        `No host asked you to turn on your ${kind === 'audio' ? 'microphone' : 'camera'}`,
      );
    }
    if (accept) this.changed(roomId, participantId, mutedByHost);
    this.tell((s) =>
      s.tellHosts(roomId, 'media:unmuteAnswered', { participantId, kind, accepted: accept }),
    );
  }

  private changed(roomId: string, participantId: string, mutedByHost: MediaKind[]): void {
    this.tell((s) => s.tellRoom(roomId, 'media:hostMuteChanged', { participantId, mutedByHost }));
  }

  /** Before the gateway is up there is nobody to tell. */
  private tell(send: (server: ConferenceServer) => void): void {
    if (this.server.ready) send(this.server);
  }
}
