import type { ServerEventOf } from '../../src/protocol/events.js';
import type { ChatController } from './chat-controller.js';
import type { ServerEventName } from './connection.js';
import type { HandsAndMutes } from './hands-and-mutes.js';
import type { MediaController } from './media-controller.js';
import type { PeopleEvents } from './people-events.js';

/** One handler per server event: the compiler rejects a table that misses one or names one twice. */
export type ServerEventHandlers = {
  [E in ServerEventName]: (payload: ServerEventOf<E>) => void;
};

/** Where server events come from (the Connection). */
export interface ServerEventSource {
  on<E extends ServerEventName>(event: E, listener: (payload: ServerEventOf<E>) => void): void;
}

/** Who handles server events: the stores and controllers, and the session for its own end. */
export interface EventTargets {
  people: Pick<
    PeopleEvents,
    | 'personJoined'
    | 'personLeft'
    | 'peopleChanged'
    | 'personUpdated'
    | 'lobbyWaiting'
    | 'lobbyLeft'
    | 'speaker'
    | 'roomUpdated'
  >;
  chat: Pick<ChatController, 'received'>;
  controls: Pick<
    HandsAndMutes,
    'handRaised' | 'handLowered' | 'hostMuteChanged' | 'unmuteRequested' | 'unmuteAnswered'
  >;
  media: Pick<
    MediaController,
    'newProducer' | 'remoteClosed' | 'paused' | 'resumed' | 'rebuild' | 'shareStopped'
  >;
  session: {
    /** The server is closing this connection. */
    ended(event: ServerEventOf<'session:ended'>): void;
    /** This server is shutting down: move to another one. */
    draining(event: ServerEventOf<'server:draining'>): void;
    /** A host let this person in from the lobby: join again. */
    admitted(): void;
    rejected(): void;
  };
}

/** The one place each server event is handled: which target it goes to. */
export function serverEventHandlers({
  people,
  chat,
  controls,
  media,
  session,
}: EventTargets): ServerEventHandlers {
  return {
    'participant:joined': (p) => people.personJoined(p),
    'participant:left': (event) => people.personLeft(event),
    'participants:changed': ({ changes }) => people.peopleChanged(changes),
    'participant:updated': (p) => people.personUpdated(p),
    'session:ended': (event) => session.ended(event),
    'server:draining': (event) => session.draining(event),
    'lobby:waiting': (entry) => people.lobbyWaiting(entry),
    'lobby:left': ({ participantId }) => people.lobbyLeft(participantId),
    'lobby:admitted': () => session.admitted(),
    'lobby:rejected': () => session.rejected(),
    'chat:message': (message) => chat.received(message),
    'media:newProducer': (info) => media.newProducer(info),
    'media:producerClosed': ({ producerId }) => media.remoteClosed(producerId),
    'media:consumerClosed': ({ producerId }) => media.remoteClosed(producerId),
    'media:producerPaused': (event) => media.paused(event),
    'media:producerResumed': (event) => media.resumed(event),
    'media:activeSpeaker': ({ participantId }) => people.speaker(participantId),
    'media:restart': () => media.rebuild(),
    'media:shareStopped': () => media.shareStopped(),
    'room:updated': (settings) => people.roomUpdated(settings),
    'media:hostMuteChanged': (event) => controls.hostMuteChanged(event),
    'media:unmuteRequested': (event) => controls.unmuteRequested(event),
    'media:unmuteAnswered': (event) => controls.unmuteAnswered(event),
    'hand:raised': (event) => controls.handRaised(event),
    'hand:lowered': ({ participantId, byHost }) => controls.handLowered(participantId, byHost),
  };
}

/** Subscribes every server event to its target, for the life of the connection. */
export function routeServerEvents(source: ServerEventSource, targets: EventTargets): void {
  const handlers = serverEventHandlers(targets);
  const subscribe = <E extends ServerEventName>(event: E) => source.on(event, handlers[event]);
  for (const event of Object.keys(handlers) as ServerEventName[]) subscribe(event);
}
