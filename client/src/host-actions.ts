import type { MediaKind } from '../../src/protocol/events.js';
import type { Connection } from './connection.js';
import type { RoomStore } from './room-store.js';

/** What host actions need from the page around them. */
export interface HostPage {
  request: Connection['request'];
  /** Asks the person to confirm; resolves true if they did. */
  confirm(question: string, detail: string, confirmLabel: string): Promise<boolean>;
  notice(text: string): void;
  /** The room store changed. */
  changed(): void;
  /** Runs a background task whose failure the page reports. */
  run(task: Promise<unknown>): void;
}

/** What a host does to others in the meeting: mute, hands, remove, and decide on the lobby. */
export class HostActions {
  constructor(
    private readonly store: RoomStore,
    private readonly page: HostPage,
  ) {}

  /** Mutes someone's microphone or stops their camera. */
  mute(participantId: string, kind: MediaKind): void {
    this.page.run(
      this.page.request('media:muteParticipant', { participantId, kind }).then(() => {
        const what = kind === 'audio' ? 'Muted' : 'Stopped the video of';
        this.page.notice(`${what} ${this.store.nameOf(participantId)}.`);
      }),
    );
  }

  /** Mutes someone hard: they cannot unmute until a host allows it (also after reconnecting). */
  hardMute(participantId: string, kind: MediaKind): void {
    this.page.run(
      this.page
        .request('media:muteParticipant', { participantId, kind, hard: true })
        .then(() =>
          this.page.notice(
            `${this.store.nameOf(participantId)} cannot unmute until a host allows it.`,
          ),
        ),
    );
  }

  /** Lifts a hard mute: they may unmute themselves again. */
  allowUnmute(participantId: string, kind: MediaKind): void {
    this.page.run(
      this.page
        .request('media:allowUnmute', { participantId, kind })
        .then(() => this.page.notice(`${this.store.nameOf(participantId)} may unmute again.`)),
    );
  }

  /** Asks someone to unmute; they answer (media:unmuteAnswered). */
  askToUnmute(participantId: string, kind: MediaKind): void {
    this.page.run(
      this.page
        .request('media:askToUnmute', { participantId, kind })
        .then(() => this.page.notice(`Asked ${this.store.nameOf(participantId)} to unmute.`)),
    );
  }

  /** Mutes every microphone but the hosts', after the host confirmed; they may unmute themselves. */
  muteAll(): void {
    this.page.run(this.muteAllConfirmed());
  }

  /** Stops someone's screen share; they are told a host stopped it. */
  stopShare(participantId: string): void {
    this.page.run(
      this.page
        .request('media:stopParticipantShare', { participantId })
        .then(() =>
          this.page.notice(`Stopped the screen share of ${this.store.nameOf(participantId)}.`),
        ),
    );
  }

  lowerHand(participantId: string): void {
    this.page.run(this.page.request('hand:lowerParticipant', { participantId }));
  }

  /** Removes someone after the host confirmed; their link stops working. */
  remove(participantId: string): void {
    this.page.run(this.removeConfirmed(participantId));
  }

  admit(participantId: string): void {
    this.page.run(this.decide('lobby:admit', participantId));
  }

  reject(participantId: string): void {
    this.page.run(this.decide('lobby:reject', participantId));
  }

  /** Loads who waits in the lobby, if this person is a host. */
  async loadLobby(): Promise<void> {
    if (!this.store.isHost) return;
    const { waiting } = await this.page.request('lobby:list', {});
    this.store.setLobby(waiting);
    this.page.changed();
  }

  private async muteAllConfirmed(): Promise<void> {
    const sure = await this.page.confirm(
      'Mute everyone?',
      'Everyone but the hosts is muted. They can unmute themselves.',
      'Mute everyone',
    );
    if (!sure) return;
    const { participantIds } = await this.page.request('media:muteAll', {});
    const n = participantIds.length;
    this.page.notice(`Muted ${n} ${n === 1 ? 'person' : 'people'}.`);
  }

  private async removeConfirmed(participantId: string): Promise<void> {
    const name = this.store.nameOf(participantId);
    const sure = await this.page.confirm(
      `Remove ${name}?`,
      `${name} will leave the meeting and cannot rejoin with the same link.`,
      'Remove',
    );
    if (!sure) return;
    await this.page.request('room:kick', { participantId });
    this.page.notice(`${name} was removed from the meeting.`);
  }

  private async decide(event: 'lobby:admit' | 'lobby:reject', participantId: string) {
    await this.page.request(event, { participantId });
    this.store.removeFromLobby(participantId);
    this.page.changed();
  }
}
