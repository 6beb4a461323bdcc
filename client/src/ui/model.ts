import type {
  LobbyEntry,
  MediaKind,
  Role,
  ScreenSharePolicy,
} from '../../../src/protocol/events.js';

/** 'none': not sending this kind at all; 'off': sending but paused (muted). */
export type TrackState = 'none' | 'on' | 'off';

export interface Person {
  participantId: string;
  displayName: string;
  role: Role;
  /** False once they left; kept so chat can still name them. */
  present: boolean;
  isSelf: boolean;
  media: Record<MediaKind, TrackState>;
  /** When they raised their hand, or null. */
  handRaisedAt: string | null;
  /** What a host muted hard: they cannot turn it on until a host allows it. */
  mutedByHost: MediaKind[];
}

/** Everything the room's views render from. */
export interface RoomModel {
  /** The room's name, as the integrator gave it (known once joined). */
  roomName: string;
  selfId: string;
  isHost: boolean;
  people: Map<string, Person>;
  lobby: LobbyEntry[];
  speakerId: string | null;
  /** Who may share their screen in this room, and whether this deployment lets guests. */
  screenShare: ScreenSharePolicy;
  guestsMayShare: boolean;
  /** Who shares their screen now (this person too), oldest first: participant id -> producer id. */
  shares: Map<string, string>;
}

export const nameOf = (model: RoomModel, participantId: string): string =>
  model.people.get(participantId)?.displayName ?? 'Someone who left';

export const presentPeople = (model: RoomModel): Person[] =>
  [...model.people.values()]
    .filter((p) => p.present)
    .sort(
      (a, b) => Number(b.isSelf) - Number(a.isSelf) || a.displayName.localeCompare(b.displayName),
    );

/** Present people with a hand up, in the order they raised it (oldest first). */
export const raisedHands = (model: RoomModel): Person[] =>
  [...model.people.values()]
    .filter((p) => p.present && p.handRaisedAt !== null)
    .sort((a, b) => (a.handRaisedAt ?? '').localeCompare(b.handRaisedAt ?? ''));
