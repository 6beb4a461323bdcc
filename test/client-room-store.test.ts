import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { RoomStore } from '../client/src/room-store.js';
import { chatMessage, joinedResult, view, waiting } from './support/client-room.js';

// The web client's room store (client/src/room-store.ts), run here in Node: it is plain
// TypeScript. What the room's views show comes from it alone.

const self = randomUUID();
const bob = randomUUID();
const carol = randomUUID();

const present = (store: RoomStore) => store.present().map((p) => p.displayName);

describe('web client room store', () => {
  it('a join shows everyone in the room, with this person as self and their own media', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, [view(bob, 'Bob')], 'host'), { audio: 'on', video: 'off' });
    assert.deepEqual(present(store), ['Me', 'Bob']);
    assert.equal(store.model.roomName, 'Quarterly review');
    assert.equal(store.isHost, true);
    assert.equal(store.self()?.isSelf, true);
    assert.deepEqual(store.self()?.media, { audio: 'on', video: 'off' });
    assert.equal(store.model.people.get(bob)?.isSelf, false);
    assert.deepEqual(store.model.people.get(bob)?.media, { audio: 'none', video: 'none' });
  });

  it('applies joined, updated and left in the order they arrive', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, []), { audio: 'on', video: 'on' });
    store.personJoined(view(bob, 'Bob'));
    store.setMedia(bob, 'video', 'on');
    store.setSpeaker(bob);
    assert.equal(store.personUpdated(view(bob, 'Robert', 'host')), 'Bob');
    assert.equal(store.personUpdated(view(bob, 'Robert', 'host')), undefined);
    assert.equal(store.nameOf(bob), 'Robert');
    assert.equal(store.model.people.get(bob)?.role, 'host');
    store.personJoined(view(carol, 'Carol'));
    assert.deepEqual(present(store), ['Me', 'Robert', 'Carol']);

    assert.equal(store.personLeft(bob)?.displayName, 'Robert');
    assert.deepEqual(present(store), ['Me', 'Carol']);
    // Kept for chat to name them, without media and no longer the speaker.
    assert.equal(store.nameOf(bob), 'Robert');
    assert.deepEqual(store.model.people.get(bob)?.media, { audio: 'none', video: 'none' });
    assert.equal(store.model.speakerId, null);
    assert.equal(store.personLeft(randomUUID()), undefined);

    store.personJoined(view(bob, 'Robert'));
    assert.deepEqual(present(store), ['Me', 'Robert', 'Carol']);
  });

  it('a re-join marks only the people still in the room as present', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, [view(bob, 'Bob'), view(carol, 'Carol')]), {
      audio: 'on',
      video: 'on',
    });
    store.setMedia(bob, 'audio', 'on');
    store.remoteMediaGone();
    assert.deepEqual(store.model.people.get(bob)?.media, { audio: 'none', video: 'none' });
    assert.deepEqual(store.self()?.media, { audio: 'on', video: 'on' });
    store.joined(joinedResult(self, [view(carol, 'Carol')]), { audio: 'off', video: 'none' });
    assert.deepEqual(present(store), ['Me', 'Carol']);
    assert.equal(store.nameOf(bob), 'Bob');
    assert.deepEqual(store.self()?.media, { audio: 'off', video: 'none' });
  });

  it('names the sender of a message from someone who already left, without making them present', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, []), { audio: 'on', video: 'on' });
    assert.equal(store.nameOf(bob), 'Someone who left');
    store.rememberSender(chatMessage({ participantId: bob, displayName: 'Bob' }));
    assert.equal(store.nameOf(bob), 'Bob');
    assert.deepEqual(present(store), ['Me']);
    // A known person keeps the name the room gave them.
    store.rememberSender(chatMessage({ participantId: self, displayName: 'Someone else' }));
    assert.equal(store.nameOf(self), 'Me');
  });

  it('the lobby lists each waiting person once and forgets who was admitted or left', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, [], 'host'), { audio: 'on', video: 'on' });
    store.setLobby([waiting(bob, 'Bob')]);
    store.addToLobby(waiting(carol, 'Carol'));
    store.addToLobby(waiting(bob, 'Bob'));
    assert.deepEqual(
      store.model.lobby.map((w) => w.displayName),
      ['Bob', 'Carol'],
    );
    store.removeFromLobby(bob);
    assert.deepEqual(
      store.model.lobby.map((w) => w.displayName),
      ['Carol'],
    );
    store.removeFromLobby(bob);
    assert.equal(store.model.lobby.length, 1);
  });

  it('losing or gaining host rights empties the lobby; the same role again changes nothing', () => {
    const store = new RoomStore();
    store.joined(joinedResult(self, [], 'host'), { audio: 'on', video: 'on' });
    store.addToLobby(waiting(bob, 'Bob'));
    assert.equal(store.setHost(true), false);
    assert.equal(store.model.lobby.length, 1);
    assert.equal(store.setHost(false), true);
    assert.equal(store.isHost, false);
    assert.deepEqual(store.model.lobby, []);
  });
});
