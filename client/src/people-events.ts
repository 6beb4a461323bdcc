import type {
  LobbyEntry,
  ParticipantView,
  PresenceChange,
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

  /**
   * A large room's joins and leaves, together and in order: one notice for the lot. This person
   * and people already present (listed in the join ack) change nothing.
   */
  peopleChanged(changes: PresenceChange[]): void {
    const joined: string[] = [];
    const left: string[] = [];
    for (const change of changes) {
      if (change.type === 'joined') {
        const { participant } = change;
        if (participant.participantId === this.store.selfId) continue;
        const present = this.store.model.people.get(participant.participantId)?.present === true;
        this.store.personJoined(participant);
        if (!present) joined.push(participant.displayName);
      } else if (change.participantId !== this.store.selfId) {
        const person = this.store.personLeft(change.participantId);
        if (person) left.push(person.displayName);
      }
    }
    if (joined.length + left.length === 0) return;
    this.page.changed();
    const parts = [
      joined.length > 0 ? `${someone(joined)} joined` : '',
      left.length > 0 ? `${someone(left)} left` : '',
    ];
    this.page.notice(`${parts.filter(Boolean).join('; ')}.`);
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

/** "Ann", "Ann and Bob", "Ann, Bob and 3 others". */
function someone(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  const others = names.length - 2;
  return `${names[0]}, ${names[1]} and ${others} ${others === 1 ? 'other' : 'others'}`;
}
