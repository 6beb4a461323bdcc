import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChatController } from '../client/src/chat-controller.js';
import { privateKey } from '../client/src/chat.js';
import type { ServerEventName } from '../client/src/connection.js';
import { HandsAndMutes } from '../client/src/hands-and-mutes.js';
import { HostActions } from '../client/src/host-actions.js';
import { PeopleEvents } from '../client/src/people-events.js';
import {
  type EventTargets,
  routeServerEvents,
  type ServerEventSource,
} from '../client/src/server-events.js';
import type { ToastOptions } from '../client/src/ui/feedback.js';
import { raisedHands } from '../client/src/ui/model.js';
import type { ServerEventOf } from '../src/protocol/events.js';
import {
  answeringServer,
  backgroundTasks,
  chatMessage,
  joinedStore,
  view,
  waiting,
} from './support/client-room.js';

// The web client's server-event dispatcher (client/src/server-events.ts) with the room events
// and the chat it routes to, run here in Node: they are plain TypeScript. Each event the server
// sends changes what its owner keeps, and the person is told what they would see.

const self = randomUUID();
const bob = randomUUID();
const carol = randomUUID();

/** Every server event; the Record type makes the compiler keep this list complete. */
const SERVER_EVENTS: Record<ServerEventName, true> = {
  'participant:joined': true,
  'participant:left': true,
  'participants:changed': true,
  'participant:updated': true,
  'session:ended': true,
  'server:draining': true,
  'lobby:waiting': true,
  'lobby:left': true,
  'lobby:admitted': true,
  'lobby:rejected': true,
  'chat:message': true,
  'media:newProducer': true,
  'media:producerClosed': true,
  'media:consumerClosed': true,
  'media:producerPaused': true,
  'media:shareStopped': true,
  'room:updated': true,
  'media:producerResumed': true,
  'media:activeSpeaker': true,
  'media:restart': true,
  'media:hostMuteChanged': true,
  'media:unmuteRequested': true,
  'media:unmuteAnswered': true,
  'hand:raised': true,
  'hand:lowered': true,
};

/** A page in a room with Bob, its events coming from a fake server. */
function roomPage(role: 'host' | 'participant' = 'participant') {
  const store = joinedStore(self, [view(bob, 'Bob')], role);
  const server = answeringServer((event) => {
    if (event === 'lobby:list') return { waiting: [waiting(carol, 'Carol')] };
    if (event === 'hand:raise') return { raisedAt: '2026-01-01T10:00:03.000Z' };
    return {};
  });
  const tasks = backgroundTasks();
  const notices: { text: string; options?: ToastOptions }[] = [];
  const announced: string[] = [];
  const said: string[] = [];
  const page = {
    request: server.request,
    changed: () => undefined,
    notice: (text: string, options?: ToastOptions) => void notices.push({ text, options }),
    run: tasks.run,
  };
  const host = new HostActions(store, { ...page, confirm: () => Promise.resolve(true) });
  let chatOpen = false;
  const chat = new ChatController(store, {
    ...page,
    joined: () => true,
    ended: () => false,
    announce: (text) => void announced.push(text),
    panelOpen: () => chatOpen,
    openPrivate: (id) => void chat.state.openPrivate(id),
  });
  chat.joined(self);
  const answers = { accept: true };
  const controls = new HandsAndMutes(
    store,
    { unmute: (kind) => Promise.resolve(void said.push(`unmute ${kind}`)) },
    { ...page, confirm: () => Promise.resolve(answers.accept) },
  );
  const targets: EventTargets = {
    people: new PeopleEvents(store, host, page),
    chat,
    controls,
    media: {
      newProducer: (info) => void said.push(`newProducer ${info.producerId}`),
      remoteClosed: (producerId) => void said.push(`remoteClosed ${producerId}`),
      paused: ({ producerId }) => void said.push(`paused ${producerId}`),
      resumed: ({ producerId }) => void said.push(`resumed ${producerId}`),
      rebuild: () => void said.push('rebuild'),
      shareStopped: () => void said.push('shareStopped'),
    },
    session: {
      ended: ({ reason }) => void said.push(`ended ${reason}`),
      draining: ({ reconnectInMs }) => void said.push(`draining ${reconnectInMs}`),
      admitted: () => void said.push('admitted'),
      rejected: () => void said.push('rejected'),
    },
  };
  const listeners = new Map<string, ((payload: never) => void)[]>();
  const source: ServerEventSource = {
    on: (event: string, listener: (payload: never) => void) =>
      void listeners.set(event, [...(listeners.get(event) ?? []), listener]),
  };
  routeServerEvents(source, targets);
  const emit = <E extends ServerEventName>(event: E, payload: ServerEventOf<E>) => {
    for (const listener of listeners.get(event) ?? [])
      (listener as (p: ServerEventOf<E>) => void)(payload);
  };
  const texts = () => notices.map((n) => n.text);
  return {
    store,
    chat,
    server,
    tasks,
    notices,
    texts,
    announced,
    said,
    listeners,
    emit,
    openChat: () => (chatOpen = true),
    answers,
    controls,
  };
}

describe('web client server events', () => {
  it('every server event has exactly one handler', () => {
    const { listeners } = roomPage();
    assert.deepEqual([...listeners.keys()].sort(), Object.keys(SERVER_EVENTS).sort());
    for (const [event, handlers] of listeners) assert.equal(handlers.length, 1, event);
  });

  it('people joining, renamed and leaving change the room and are told, in order', () => {
    const { store, emit, texts } = roomPage();
    emit('participant:joined', view(carol, 'Carol'));
    emit('participant:updated', view(carol, 'Caroline'));
    emit('participant:left', { participantId: carol, reason: 'kicked' });
    emit('participant:left', { participantId: bob, reason: 'left' });
    emit('participant:left', { participantId: randomUUID(), reason: 'left' });
    assert.deepEqual(
      store.present().map((p) => p.displayName),
      ['Me'],
    );
    assert.deepEqual(texts(), [
      'Carol joined.',
      'Carol is now Caroline.',
      'Caroline was removed.',
      'Bob left.',
    ]);
  });

  it("a large room's batch of joins and leaves is applied in order, with one notice", () => {
    const { store, emit, texts } = roomPage();
    const [dee, eve, fay] = [randomUUID(), randomUUID(), randomUUID()];
    emit('participants:changed', {
      changes: [
        { type: 'joined', participant: view(self, 'Me') },
        { type: 'joined', participant: view(bob, 'Bob') },
        { type: 'joined', participant: view(carol, 'Carol') },
        { type: 'joined', participant: view(dee, 'Dee') },
        { type: 'joined', participant: view(eve, 'Eve') },
        { type: 'joined', participant: view(fay, 'Fay') },
        { type: 'left', participantId: eve, reason: 'left' },
        { type: 'left', participantId: self, reason: 'replaced' },
      ],
    });
    assert.deepEqual(
      store
        .present()
        .map((p) => p.displayName)
        .sort(),
      ['Bob', 'Carol', 'Dee', 'Fay', 'Me'],
    );
    // Bob was already here (in the join ack), and this person is not news to themselves.
    assert.deepEqual(texts(), ['Carol, Dee and 2 others joined; Eve left.']);
    emit('participants:changed', {
      changes: [{ type: 'left', participantId: randomUUID(), reason: 'left' }],
    });
    assert.equal(texts().length, 1, 'a batch that changes nothing is not announced');
  });

  it('becoming a host loads the lobby; someone waiting can be admitted from the notice', async () => {
    const { store, emit, notices, texts, server, tasks } = roomPage();
    emit('participant:updated', view(self, 'Me', 'host'));
    await tasks.settled();
    assert.equal(store.isHost, true);
    assert.deepEqual(
      store.model.lobby.map((w) => w.displayName),
      ['Carol'],
    );
    const dave = randomUUID();
    emit('lobby:waiting', waiting(dave, 'Dave'));
    emit('lobby:waiting', waiting(dave, 'Dave'));
    assert.deepEqual(texts().slice(0, 2), ['You are now a host.', 'Dave is waiting to join.']);
    notices[1]?.options?.action?.run();
    await tasks.settled();
    assert.deepEqual(server.requests.at(-1), {
      event: 'lobby:admit',
      payload: { participantId: dave },
    });
    emit('lobby:left', { participantId: carol });
    assert.deepEqual(store.model.lobby, []);
    emit('participant:updated', view(self, 'Me', 'participant'));
    assert.equal(texts().at(-1), 'You are no longer a host.');
  });

  it('a private message is announced, with a notice that opens it while the chat is closed', () => {
    const { chat, emit, notices, announced, openChat } = roomPage();
    const from = { participantId: bob, displayName: 'Bob' };
    emit('chat:message', chatMessage(from, { kind: 'private', to: self, text: 'psst' }));
    assert.deepEqual(announced, ['Private message from Bob: psst']);
    assert.equal(notices[0]?.text, 'Private message from Bob');
    assert.equal(notices[0]?.options?.quiet, true);
    notices[0]?.options?.action?.run();
    assert.equal(chat.state.active, privateKey(bob));

    openChat();
    emit('chat:message', chatMessage(from, { text: 'hello all' }));
    emit('chat:message', chatMessage(from, { kind: 'private', to: self, text: 'again' }));
    emit('chat:message', chatMessage({ participantId: self, displayName: 'Me' }, { text: 'mine' }));
    assert.deepEqual(announced.slice(1), ['Bob: hello all', 'Private message from Bob: again']);
    assert.equal(notices.length, 1, 'no notice while the chat is open');
  });

  it('media events reach the media controller by producer; the speaker reaches the room', () => {
    const { store, emit, said } = roomPage();
    emit('media:newProducer', {
      producerId: 'p1',
      participantId: bob,
      kind: 'audio',
      source: 'microphone',
      paused: false,
    });
    emit('media:producerPaused', { producerId: 'p1', participantId: bob, byHost: true });
    emit('media:producerResumed', { producerId: 'p1', participantId: bob });
    emit('media:producerClosed', { producerId: 'p1', participantId: bob });
    emit('media:consumerClosed', { consumerId: 'c2', producerId: 'p2' });
    emit('media:restart', { reason: 'worker died' });
    emit('media:activeSpeaker', { participantId: bob });
    assert.deepEqual(said, [
      'newProducer p1',
      'paused p1',
      'resumed p1',
      'remoteClosed p1',
      'remoteClosed p2',
      'rebuild',
    ]);
    assert.equal(store.model.speakerId, bob);
  });

  it('a stopped share reaches the media controller; a room setting change says who may share now', () => {
    const { store, emit, said, texts } = roomPage();
    assert.equal(store.shareRefusal(), undefined);
    emit('media:shareStopped', { producerIds: ['s1'], byHost: true });
    assert.deepEqual(said, ['shareStopped']);
    emit('room:updated', { screenShare: 'hosts' });
    assert.equal(store.model.screenShare, 'hosts');
    assert.equal(store.shareRefusal(), 'Only hosts can share their screen in this room');
    assert.deepEqual(texts().slice(-1), ['Only hosts can share their screen in this room now.']);
  });

  it('the session hears how it ends, that its server drains, and what the lobby decided', () => {
    const { emit, said } = roomPage();
    emit('lobby:admitted', {});
    emit('lobby:rejected', {});
    emit('server:draining', { reconnectInMs: 1000, closesInMs: 5000 });
    emit('session:ended', { reason: 'kicked', message: 'bye' });
    assert.deepEqual(said, ['admitted', 'rejected', 'draining 1000', 'ended kicked']);
  });

  it('raised hands are kept oldest first and each change is told; the own hand toggles', async () => {
    const { store, emit, texts, controls, tasks, server } = roomPage();
    emit('participant:joined', view(carol, 'Carol'));
    emit('hand:raised', { participantId: carol, raisedAt: '2026-01-01T10:00:02.000Z' });
    emit('hand:raised', { participantId: bob, raisedAt: '2026-01-01T10:00:01.000Z' });
    emit('hand:raised', { participantId: bob, raisedAt: '2026-01-01T10:00:01.000Z' });
    assert.deepEqual(
      raisedHands(store.model).map((p) => p.displayName),
      ['Bob', 'Carol'],
    );
    emit('hand:lowered', { participantId: carol, byHost: true });
    assert.deepEqual(
      raisedHands(store.model).map((p) => p.displayName),
      ['Bob'],
    );
    controls.toggleOwnHand();
    await tasks.settled();
    assert.deepEqual(server.requests.at(-1)?.event, 'hand:raise');
    assert.deepEqual(texts().slice(1), [
      'Carol raised their hand.',
      'Bob raised their hand.',
      "Carol's hand is down.",
      'You raised your hand.',
    ]);
    // Someone joining later with a hand up is in the queue at their time.
    emit('participant:joined', {
      ...view(carol, 'Carol'),
      handRaisedAt: '2026-01-01T09:00:00.000Z',
    });
    assert.equal(raisedHands(store.model)[0]?.displayName, 'Carol');
  });

  it('a hard mute of this person is told; an ask to unmute is answered, and accepting unmutes', async () => {
    const { store, emit, texts, tasks, server, said, answers } = roomPage();
    emit('media:hostMuteChanged', { participantId: self, mutedByHost: ['audio'] });
    assert.deepEqual(store.self()?.mutedByHost, ['audio']);
    emit('media:unmuteRequested', { kind: 'audio' });
    await tasks.settled();
    assert.deepEqual(server.requests.at(-1), {
      event: 'media:answerUnmute',
      payload: { kind: 'audio', accept: true },
    });
    assert.deepEqual(said, ['unmute audio']);
    emit('media:hostMuteChanged', { participantId: self, mutedByHost: [] });
    answers.accept = false;
    emit('media:unmuteRequested', { kind: 'audio' });
    await tasks.settled();
    assert.deepEqual(server.requests.at(-1)?.payload, { kind: 'audio', accept: false });
    assert.deepEqual(said, ['unmute audio']);
    emit('media:unmuteAnswered', { participantId: bob, kind: 'audio', accepted: false });
    assert.deepEqual(texts(), [
      'A host muted your microphone. You can turn it on when a host allows it.',
      'A host allowed you to turn on your microphone.',
      'Bob declined to turn on their microphone.',
    ]);
  });
});
