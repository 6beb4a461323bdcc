import { randomUUID } from 'node:crypto';
import type { Connection, RequestName } from '../../client/src/connection.js';
import type { ServerError } from '../../client/src/errors.js';
import { RoomStore } from '../../client/src/room-store.js';
import type {
  ChatMessage,
  JoinedResult,
  LobbyEntry,
  ParticipantView,
  Role,
} from '../../src/protocol/events.js';

// What the web client's unit tests build rooms from: people, a join result, lobby entries and
// messages, as the server sends them.

const joinedAt = new Date().toISOString();

export const view = (
  participantId: string,
  displayName: string,
  role: Role = 'participant',
): ParticipantView => ({
  participantId,
  displayName,
  role,
  joinedAt,
  handRaisedAt: null,
  mutedByHost: [],
});

/** This person (`self`, named Me) joined a room with `participants`. */
export function joinedResult(
  self: string,
  participants: ParticipantView[],
  role: Role = 'participant',
): JoinedResult {
  return {
    status: 'joined',
    room: { id: 'room', name: 'Quarterly review', screenShare: 'everyone' },
    guestsMayShare: true,
    self: view(self, 'Me', role),
    participants: [view(self, 'Me', role), ...participants],
  };
}

/** A room store after this person joined with `participants`, sending audio and video. */
export function joinedStore(
  self: string,
  participants: ParticipantView[],
  role: Role = 'participant',
): RoomStore {
  const store = new RoomStore();
  store.joined(joinedResult(self, participants, role), { audio: 'on', video: 'on' });
  return store;
}

export const waiting = (participantId: string, displayName: string): LobbyEntry => ({
  participantId,
  displayName,
  waitingSince: joinedAt,
});

let seq = 0;
export function chatMessage(
  from: { participantId: string; displayName: string },
  fields: Partial<ChatMessage> = {},
): ChatMessage {
  seq++;
  return {
    id: randomUUID(),
    roomId: 'room',
    seq,
    kind: 'public',
    from,
    to: null,
    text: `m${seq}`,
    sentAt: new Date().toISOString(),
    ...fields,
  };
}

/** A server that answers each request at once as `answer` says (a ServerError rejects it). */
export function answeringServer(
  answer: (event: RequestName, payload: unknown) => object | ServerError = () => ({}),
) {
  const requests: { event: RequestName; payload: unknown }[] = [];
  const request = ((event: RequestName, payload: unknown) => {
    requests.push({ event, payload });
    const reply = answer(event, payload);
    return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
  }) as Connection['request'];
  return { requests, request };
}

/** The page's background tasks: `settled()` waits for all of them; their failures are kept. */
export function backgroundTasks() {
  const tasks: Promise<unknown>[] = [];
  const failures: unknown[] = [];
  return {
    failures,
    run: (task: Promise<unknown>) => void tasks.push(task.catch((e: unknown) => failures.push(e))),
    settled: () => Promise.all(tasks),
  };
}
