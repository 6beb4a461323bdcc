import type {
  LobbyEntry,
  ParticipantView,
  RoomSettings,
  ServerEventOf,
} from '../../src/protocol/events.js';
import type { HostActions } from './host-actions.js';
import type { RoomStore } from './room-store.js';
import type { ToastOptions } from './ui/feedback.js';

/** What the people events need from the page around them. */
export interface PeoplePage {
  /** The room store changed. */
  changed(): void;
  notice(text: string, options?: ToastOptions): void;
  /** Runs a background task whose failure the page reports. */
  run(task: Promise<unknown>): void;
}

/**
 * What the server's news about people, the lobby and the active speaker means here: the room
 * store changes and the person is told who came, went, was renamed or waits to be admitted.
 */
export class PeopleEvents {
  constructor(
    private readonly store: RoomStore,
    private readonly host: Pick<HostActions, 'admit' | 'loadLobby'>,
    private readonly page: PeoplePage,
  ) {}

  personJoined(p: ParticipantView): void {
    this.store.personJoined(p);
    this.page.changed();
    this.page.notice(`${p.displayName} joined.`);
  }

  personLeft({ participantId, reason }: ServerEventOf<'participant:left'>): void {
    const person = this.store.personLeft(participantId);
    if (!person) return;
    this.page.changed();
    this.page.notice(`${person.displayName} ${reason === 'kicked' ? 'was removed' : 'left'}.`);
  }

  /** Someone's name or role changed; for this person, whether they are a host. */
  personUpdated(p: ParticipantView): void {
    const renamed = this.store.personUpdated(p);
    if (p.participantId === this.store.selfId) this.selfRole(p.role === 'host');
    else if (renamed) this.page.notice(`${renamed} is now ${p.displayName}.`);
    this.page.changed();
  }

  lobbyWaiting(entry: LobbyEntry): void {
    this.store.addToLobby(entry);
    this.page.changed();
    this.page.notice(`${entry.displayName} is waiting to join.`, {
      action: { label: 'Admit', run: () => this.host.admit(entry.participantId) },
    });
  }

  lobbyLeft(participantId: string): void {
    this.store.removeFromLobby(participantId);
    this.page.changed();
  }

  speaker(participantId: string | null): void {
    this.store.setSpeaker(participantId);
    this.page.changed();
  }

  /** An admin changed the room's settings: who may share their screen from now on. */
  roomUpdated(settings: RoomSettings): void {
    this.store.setRoomSettings(settings);
    this.page.changed();
    this.page.notice(
      settings.screenShare === 'hosts'
        ? 'Only hosts can share their screen in this room now.'
        : 'Everyone can share their screen in this room now.',
    );
  }

  /** The server changed whether this person is a host (their identity provider said so). */
  private selfRole(isHost: boolean): void {
    if (!this.store.setHost(isHost)) return;
    if (isHost) {
      this.page.notice('You are now a host.');
      this.page.run(this.host.loadLobby());
    } else {
      this.page.notice('You are no longer a host.');
    }
  }
}
