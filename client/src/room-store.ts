import type {
  ChatMessage,
  JoinedResult,
  LobbyEntry,
  MediaKind,
  ParticipantView,
  Role,
  RoomSettings,
} from '../../src/protocol/events.js';
import { shareRefusal } from '../../src/protocol/screen-share.js';
import { nameOf, type Person, type RoomModel, type TrackState } from './ui/model.js';

const NO_MEDIA = (): Person['media'] => ({ audio: 'none', video: 'none' });

/**
 * Who is in the room as this person sees it: people (also those who left, so chat can name them),
 * the lobby, the active speaker and whether they are a host. Plain data, no DOM: the views render
 * `model`, which stays the same object for the life of the page.
 */
export class RoomStore {
  readonly model: RoomModel = {
    selfId: '',
    isHost: false,
    people: new Map(),
    lobby: [],
    speakerId: null,
    roomName: '',
    screenShare: 'everyone',
    guestsMayShare: true,
    shares: new Map(),
  };

  /** A (re)join: everyone in `result` is present, everyone else known is not. */
  joined(result: JoinedResult, selfMedia: Person['media']): void {
    this.model.selfId = result.self.participantId;
    this.model.roomName = result.room.name;
    this.model.isHost = result.self.role === 'host';
    this.model.screenShare = result.room.screenShare;
    this.model.guestsMayShare = result.guestsMayShare;
    const here = new Set(result.participants.map((p) => p.participantId));
    for (const person of this.model.people.values())
      person.present = here.has(person.participantId);
    for (const p of result.participants) this.upsert(p);
    const self = this.self();
    if (self) self.media = selfMedia;
  }

  /** Someone joined (or is present again): present, with their current name and role. */
  personJoined(p: ParticipantView): void {
    this.upsert(p);
  }

  /** Someone left: kept for their name, without media; returns who it was, if known. */
  personLeft(participantId: string): Person | undefined {
    const person = this.model.people.get(participantId);
    if (!person) return undefined;
    person.present = false;
    person.media = NO_MEDIA();
    this.model.shares.delete(participantId);
    if (this.model.speakerId === participantId) this.model.speakerId = null;
    return person;
  }

  /** Someone's name or role changed; returns their previous name if it changed. */
  personUpdated(p: ParticipantView): string | undefined {
    const before = this.model.people.get(p.participantId);
    const renamed = before && before.displayName !== p.displayName ? before.displayName : undefined;
    this.upsert(p);
    return renamed;
  }

  /** Someone's hand went up (`raisedAt`) or down (null). */
  setHand(participantId: string, raisedAt: string | null): Person | undefined {
    const person = this.model.people.get(participantId);
    if (person) person.handRaisedAt = raisedAt;
    return person;
  }

  /** What a host muted hard for someone changed. */
  setMutedByHost(participantId: string, kinds: MediaKind[]): Person | undefined {
    const person = this.model.people.get(participantId);
    if (person) person.mutedByHost = kinds;
    return person;
  }

  /** Makes the sender of a message known by name (a message can come from someone who left). */
  rememberSender(message: ChatMessage): void {
    const { participantId, displayName } = message.from;
    if (!this.model.people.has(participantId))
      this.add(participantId, displayName, 'participant', false);
  }

  /** Whether this person is a host changed: the lobby is reloaded by whoever may see it. */
  setHost(isHost: boolean): boolean {
    if (this.model.isHost === isHost) return false;
    this.model.isHost = isHost;
    this.model.lobby = [];
    return true;
  }

  setMedia(participantId: string, kind: MediaKind, state: TrackState): void {
    const person = this.model.people.get(participantId);
    if (person) person.media[kind] = state;
  }

  setSelfMedia(kind: MediaKind, state: TrackState): void {
    this.setMedia(this.model.selfId, kind, state);
  }

  /** The link dropped: nobody else's media is received any more, and no share goes on. */
  remoteMediaGone(): void {
    for (const person of this.model.people.values()) if (!person.isSelf) person.media = NO_MEDIA();
    this.model.shares.clear();
  }

  /** Someone's screen share started (its producer) or ended (null). */
  setShare(participantId: string, producerId: string | null): void {
    if (producerId === null) this.model.shares.delete(participantId);
    else this.model.shares.set(participantId, producerId);
  }

  /** Present people sharing their screen, oldest share first. */
  sharing(): Person[] {
    return [...this.model.shares.keys()]
      .map((id) => this.model.people.get(id))
      .filter((p): p is Person => p?.present === true);
  }

  /** Why this person may not share their screen now, in words; undefined when they may. */
  shareRefusal(): string | undefined {
    const role = this.self()?.role ?? 'guest';
    return shareRefusal(role, this.model.screenShare, this.model.guestsMayShare);
  }

  /** An admin changed the room's settings. */
  setRoomSettings(settings: RoomSettings): void {
    this.model.screenShare = settings.screenShare;
  }

  setSpeaker(participantId: string | null): void {
    this.model.speakerId = participantId;
  }

  setLobby(waiting: LobbyEntry[]): void {
    this.model.lobby = waiting;
  }

  /** Adds someone to the lobby once. */
  addToLobby(entry: LobbyEntry): void {
    if (!this.model.lobby.some((w) => w.participantId === entry.participantId))
      this.model.lobby.push(entry);
  }

  removeFromLobby(participantId: string): void {
    this.model.lobby = this.model.lobby.filter((w) => w.participantId !== participantId);
  }

  get selfId(): string {
    return this.model.selfId;
  }

  get isHost(): boolean {
    return this.model.isHost;
  }

  self(): Person | undefined {
    return this.model.people.get(this.model.selfId);
  }

  /** Everyone present, in the order they became known. */
  present(): Person[] {
    return [...this.model.people.values()].filter((p) => p.present);
  }

  nameOf(participantId: string): string {
    return nameOf(this.model, participantId);
  }

  private upsert(p: ParticipantView): void {
    const existing = this.model.people.get(p.participantId);
    if (!existing) {
      this.add(p.participantId, p.displayName, p.role, true);
      return this.upsert(p);
    }
    existing.displayName = p.displayName;
    existing.role = p.role;
    existing.present = true;
    existing.handRaisedAt = p.handRaisedAt;
    existing.mutedByHost = p.mutedByHost;
  }

  /** The one place a Person is made. */
  private add(participantId: string, displayName: string, role: Role, present: boolean): void {
    this.model.people.set(participantId, {
      participantId,
      displayName,
      role,
      present,
      isSelf: participantId === this.model.selfId,
      media: NO_MEDIA(),
      handRaisedAt: null,
      mutedByHost: [],
    });
  }
}
