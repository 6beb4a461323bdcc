import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '../client/src/errors.js';
import { PhaseMachine } from '../client/src/phases.js';
import { ReconnectPolicy, RESTART_RETRY_MS } from '../client/src/reconnect-policy.js';
import { ErrorCode } from '../src/protocol/error-codes.js';

// The web client's phase machine (client/src/phases.ts) and reconnect policy
// (client/src/reconnect-policy.ts), run here in Node: they are plain TypeScript. A dropped link
// keeps the room; only what no retry can fix ends the meeting for the person.

function inRoom() {
  const phases = new PhaseMachine();
  phases.connecting();
  phases.entered();
  return { phases, policy: new ReconnectPolicy(phases) };
}

function connecting() {
  const phases = new PhaseMachine();
  phases.connecting();
  return { phases, policy: new ReconnectPolicy(phases) };
}

describe('web client phases', () => {
  it('goes from pre-join through connecting and the lobby into the room, which opens once', () => {
    const phases = new PhaseMachine();
    assert.equal(phases.phase, 'prejoin');
    phases.connecting();
    assert.equal(phases.phase, 'connecting');
    phases.waiting();
    assert.equal(phases.phase, 'lobby');
    assert.equal(phases.joined, false);
    assert.equal(phases.entered(), true, 'the first join shows the room');
    assert.equal(phases.phase, 'room');
    assert.equal(phases.joined, true);
    assert.equal(phases.entered(), false, 'a re-join keeps the room that is on screen');
  });

  it('a dropped link in the room keeps the room but not the membership until the re-join', () => {
    const { phases } = inRoom();
    assert.equal(phases.linkLost(), true);
    assert.equal(phases.phase, 'room');
    assert.equal(phases.joined, false);
    assert.equal(phases.entered(), false);
    assert.equal(phases.joined, true);
  });

  it('a dropped link outside the room changes nothing', () => {
    const { phases } = connecting();
    assert.equal(phases.linkLost(), false);
    assert.equal(phases.phase, 'connecting');
  });

  it('the end is final: it happens once and nothing leaves it', () => {
    const { phases } = inRoom();
    assert.equal(phases.end(), true);
    assert.equal(phases.end(), false);
    assert.equal(phases.joined, false);
    phases.connecting();
    phases.waiting();
    phases.backToPrejoin();
    assert.equal(phases.entered(), false);
    assert.equal(phases.linkLost(), false);
    assert.equal(phases.phase, 'ended');
  });
});

describe('web client reconnect policy', () => {
  it('a dropped link in the room reconnects; before the room it leaves the screen as it is', () => {
    assert.deepEqual(inRoom().policy.linkDropped(), { do: 'reconnect' });
    assert.deepEqual(connecting().policy.linkDropped(), { do: 'stay' });
  });

  it('a server restart keeps the room on screen and tries again shortly', () => {
    const { policy } = inRoom();
    assert.deepEqual(policy.refused(ErrorCode.SERVICE_UNAVAILABLE, 'restarting'), {
      do: 'reconnect',
      retryInMs: RESTART_RETRY_MS,
    });
    assert.deepEqual(policy.sessionEnded({ reason: 'server-shutdown', message: 'bye' }), {
      do: 'reconnect',
    });
  });

  it('a draining server moves the person: the link closes and opens again (the load balancer picks a live node) after the suggested delay, spread', () => {
    const drained = { reconnectInMs: 1000, closesInMs: 5000 };
    for (const [random, inMs] of [
      [0, 1000],
      [0.5, 1500],
      [0.999, 1999],
    ] as const) {
      const phases = new PhaseMachine();
      phases.connecting();
      phases.entered();
      assert.deepEqual(new ReconnectPolicy(phases, () => random).draining(drained), {
        do: 'move',
        inMs,
      });
    }
    // In the lobby and while connecting too (the join follows the new connection); not before or after.
    const lobby = new PhaseMachine();
    lobby.connecting();
    lobby.waiting();
    assert.equal(new ReconnectPolicy(lobby).draining(drained).do, 'move');
    assert.equal(connecting().policy.draining(drained).do, 'move');
    assert.deepEqual(new ReconnectPolicy(new PhaseMachine()).draining(drained), { do: 'stay' });
    const ended = inRoom();
    ended.phases.end();
    assert.deepEqual(ended.policy.draining(drained), { do: 'stay' });
  });

  it('a join or handshake that still reaches the draining server tries again shortly instead of ending', () => {
    const { policy } = inRoom();
    assert.deepEqual(policy.joinRefused(new ServerError(ErrorCode.SERVER_DRAINING, 'draining')), {
      do: 'move',
      inMs: RESTART_RETRY_MS,
    });
    for (const { policy: p } of [inRoom(), connecting()])
      assert.deepEqual(p.refused(ErrorCode.SERVER_DRAINING, 'draining'), {
        do: 'reconnect',
        retryInMs: RESTART_RETRY_MS,
      });
    // The server ending the connection at the end of its drain is a dropped link: reconnect.
    assert.deepEqual(
      policy.sessionEnded({
        reason: 'server-shutdown',
        code: ErrorCode.SERVER_DRAINING,
        message: 'bye',
      }),
      { do: 'reconnect' },
    );
  });

  it('a refusal while connecting goes back to the pre-join screen unless no retry can help', () => {
    const { policy } = connecting();
    const full = policy.refused(ErrorCode.ROOM_FULL, 'full');
    assert.equal(full.do, 'prejoin');
    assert.match(full.do === 'prejoin' ? full.text : '', /full/);
    for (const code of [
      ErrorCode.TOKEN_EXPIRED,
      ErrorCode.TOKEN_REVOKED,
      ErrorCode.TOKEN_INVALID,
      ErrorCode.ROOM_CLOSED,
    ]) {
      const next = policy.refused(code, 'no');
      assert.equal(next.do, 'end', code);
      assert.equal(next.do === 'end' && next.ending.canRejoin, false, code);
    }
    const expired = policy.refused(ErrorCode.TOKEN_EXPIRED, 'no');
    assert.equal(expired.do === 'end' && expired.ending.title, 'You cannot join this meeting');
  });

  it('a refusal in the room, other than a restart, ends the meeting', () => {
    const next = inRoom().policy.refused(ErrorCode.TOKEN_REVOKED, 'revoked');
    assert.equal(next.do, 'end');
  });

  it('only a replaced session offers Rejoin; each ending has its own heading', () => {
    const { policy } = inRoom();
    const ending = (reason: 'kicked' | 'replaced' | 'room-closed' | 'expired') => {
      const next = policy.sessionEnded({ reason, message: '' });
      assert.equal(next.do, 'end');
      return next.do === 'end' ? next.ending : undefined;
    };
    assert.deepEqual(ending('kicked'), {
      title: 'The meeting is over for you',
      text: 'A host removed you from the meeting.',
      canRejoin: false,
    });
    assert.equal(ending('replaced')?.canRejoin, true);
    assert.equal(ending('room-closed')?.title, 'The meeting has ended');
    assert.equal(ending('expired')?.title, 'Your join link has expired');
    assert.deepEqual(policy.left(), {
      do: 'end',
      ending: { title: 'You left', text: 'You left the meeting.', canRejoin: true },
    });
    assert.equal(policy.lobbyRejected().do, 'end');
    const refused = policy.joinRefused(new ServerError(ErrorCode.ROOM_CLOSED, 'closed'));
    assert.equal(refused.do === 'end' && refused.ending.title, 'The meeting has ended');
  });

  it('a failed background task is news only while joined, or when the server refused it', () => {
    const { phases, policy } = inRoom();
    const refused = new ServerError(ErrorCode.FORBIDDEN, 'Only hosts can do that.');
    assert.equal(policy.taskFailed(refused), 'Only hosts can do that.');
    assert.match(policy.taskFailed(new Error('timeout')) ?? '', /Check your connection/);
    phases.linkLost();
    assert.equal(policy.taskFailed(new Error('timeout')), undefined, 'the page says it reconnects');
    assert.equal(policy.taskFailed(refused), 'Only hosts can do that.');
    phases.end();
    assert.equal(policy.taskFailed(refused), undefined, 'the end screen says what happened');
  });
});
