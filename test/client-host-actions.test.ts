import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ServerError } from '../client/src/errors.js';
import { HostActions } from '../client/src/host-actions.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import {
  answeringServer,
  backgroundTasks,
  joinedStore,
  view,
  waiting,
} from './support/client-room.js';

// The web client's host actions (client/src/host-actions.ts), run here in Node: they are plain
// TypeScript. What the host is told and what the lobby list shows follow the server's answers.

const self = randomUUID();
const bob = randomUUID();
const carol = randomUUID();

/** A host in a room with Bob, and Carol in the lobby; the server answers as `answer` says. */
function hostPage(answer?: Parameters<typeof answeringServer>[0]) {
  const store = joinedStore(self, [view(bob, 'Bob')], 'host');
  store.setLobby([waiting(carol, 'Carol')]);
  const server = answeringServer(answer);
  const tasks = backgroundTasks();
  const page = {
    requests: server.requests,
    failures: tasks.failures,
    notices: [] as string[],
    confirmed: true,
    questions: [] as string[],
  };
  const host = new HostActions(store, {
    request: server.request,
    confirm: (question) => {
      page.questions.push(question);
      return Promise.resolve(page.confirmed);
    },
    notice: (text) => void page.notices.push(text),
    changed: () => undefined,
    run: tasks.run,
  });
  return { store, page, host, settled: tasks.settled };
}

describe('web client host actions', () => {
  it('muting names who was muted, by what was turned off', async () => {
    const { page, host, settled } = hostPage();
    host.mute(bob, 'audio');
    host.mute(bob, 'video');
    await settled();
    assert.deepEqual(page.requests, [
      { event: 'media:muteParticipant', payload: { participantId: bob, kind: 'audio' } },
      { event: 'media:muteParticipant', payload: { participantId: bob, kind: 'video' } },
    ]);
    assert.deepEqual(page.notices, ['Muted Bob.', 'Stopped the video of Bob.']);
  });

  it('removing asks first; declined, nothing is sent', async () => {
    const { page, host, settled } = hostPage();
    page.confirmed = false;
    host.remove(bob);
    await settled();
    assert.deepEqual(page.questions, ['Remove Bob?']);
    assert.deepEqual(page.requests, []);
    page.confirmed = true;
    host.remove(bob);
    await settled();
    assert.deepEqual(page.requests, [{ event: 'room:kick', payload: { participantId: bob } }]);
    assert.deepEqual(page.notices, ['Bob was removed from the meeting.']);
  });

  it('admitting or rejecting takes the person off the lobby list once the server agreed', async () => {
    const { store, page, host, settled } = hostPage();
    host.admit(carol);
    await settled();
    assert.deepEqual(store.model.lobby, []);
    store.addToLobby(waiting(carol, 'Carol'));
    host.reject(carol);
    await settled();
    assert.deepEqual(
      page.requests.map((r) => r.event),
      ['lobby:admit', 'lobby:reject'],
    );
    assert.deepEqual(store.model.lobby, []);
  });

  it('a refused decision leaves the lobby as it was and reaches the page as a failure', async () => {
    const refusal = new ServerError(ErrorCode.FORBIDDEN, 'Only hosts can do that.');
    const { store, page, host, settled } = hostPage(() => refusal);
    host.admit(carol);
    await settled();
    assert.deepEqual(
      store.model.lobby.map((w) => w.displayName),
      ['Carol'],
    );
    assert.deepEqual(page.failures, [refusal]);
  });

  it('the lobby is loaded for hosts only', async () => {
    const dave = waiting(randomUUID(), 'Dave');
    const { store, page, host } = hostPage(() => ({ waiting: [dave] }));
    await host.loadLobby();
    assert.deepEqual(store.model.lobby, [dave]);
    store.setHost(false);
    await host.loadLobby();
    assert.equal(page.requests.length, 1);
    assert.deepEqual(store.model.lobby, []);
  });
});
