import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Ack, JoinedResult, MediaKind, WaitingResult } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import {
  eventually,
  MEDIA_TEST_ENV,
  opusRtpParameters,
  vp8RtpParameters,
} from './support/media.js';
import { type Person, useRooms } from './support/room.js';
import type { TestClient } from './support/sockets.js';

/** Ports of this file's mediasoup workers (each test file that sends media has its own range). */
const ENV = { ...MEDIA_TEST_ENV, CONVENE_RTC_MIN_PORT: '42200', CONVENE_RTC_MAX_PORT: '42299' };

const codeOf = (ack: Ack) => (ack.ok ? 'ok' : ack.error.code);
function joinedOf(result: JoinedResult | WaitingResult | undefined): JoinedResult {
  if (result?.status !== 'joined') assert.fail(`not joined: ${JSON.stringify(result)}`);
  return result;
}

async function sendTransport(client: TestClient): Promise<string> {
  const ack = await client.request('media:createTransport', { direction: 'send' });
  assert.ok(ack.ok, JSON.stringify(ack));
  return ack.transport.id;
}

function produceAck(client: TestClient, transportId: string, kind: MediaKind) {
  const rtpParameters = kind === 'audio' ? opusRtpParameters() : vp8RtpParameters();
  return client.request('media:produce', { transportId, kind, rtpParameters });
}

/** Someone sending a microphone (and camera, if asked): their producer ids. */
async function sending(person: Person, kinds: MediaKind[] = ['audio']) {
  const transportId = await sendTransport(person.client);
  const ids: Partial<Record<MediaKind, string>> = {};
  for (const kind of kinds) {
    const ack = await produceAck(person.client, transportId, kind);
    assert.ok(ack.ok, JSON.stringify(ack));
    ids[kind] = ack.producerId;
  }
  return { transportId, audio: ids.audio ?? '', video: ids.video ?? '' };
}

describe('host controls: hard mute, mute everyone, ask to unmute, raised hands', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp(ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('only hosts can mute hard, allow, mute everyone, ask to unmute and lower hands', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const target = { participantId: host.participantId };
    const refusals = await Promise.all([
      alice.client.request('media:muteParticipant', { ...target, kind: 'audio', hard: true }),
      alice.client.request('media:allowUnmute', { ...target, kind: 'audio' }),
      alice.client.request('media:muteAll', { hard: true }),
      alice.client.request('media:askToUnmute', { ...target, kind: 'audio' }),
      alice.client.request('hand:lowerParticipant', target),
    ]);
    assert.deepEqual(refusals.map(codeOf), Array(5).fill('FORBIDDEN'));
    // Nothing changed for the host.
    const listed = await admin.get(`/api/v1/rooms/${room.id}/participants`).expect(200);
    const hostView = (listed.body as { participantId: string; mutedByHost: MediaKind[] }[]).find(
      (p) => p.participantId === host.participantId,
    );
    assert.deepEqual(hostView?.mutedByHost, []);
    // Bad input is refused before anything else.
    const bad = await host.client.requestRaw('media:muteParticipant', {
      participantId: alice.participantId,
      kind: 'audio',
      hard: 'yes',
    });
    assert.equal((bad as Ack & { ok: false }).error.code, 'VALIDATION_FAILED');
  });

  it('a hard-muted participant cannot resume or produce that kind again until a host allows it, also after reconnecting', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const bob = await room.join('Bob');
    const { transportId, audio } = await sending(alice);

    const paused = alice.client.waitFor('media:producerPaused', (e) => e.producerId === audio);
    const toldBob = bob.client.waitFor('media:hostMuteChanged');
    const mute = await host.client.request('media:muteParticipant', {
      participantId: alice.participantId,
      kind: 'audio',
      hard: true,
    });
    assert.equal(codeOf(mute), 'ok');
    assert.equal((await paused).byHost, true);
    assert.deepEqual(await toldBob, {
      participantId: alice.participantId,
      mutedByHost: ['audio'],
    });

    const resume = await alice.client.request('media:resumeProducer', { producerId: audio });
    assert.equal(codeOf(resume), 'MUTED_BY_HOST');
    assert.match((resume as Ack & { ok: false }).error.message, /host/);
    assert.equal(codeOf(await produceAck(alice.client, transportId, 'audio')), 'MUTED_BY_HOST');
    // Her camera is not muted.
    assert.equal(codeOf(await produceAck(alice.client, transportId, 'video')), 'ok');
    const listed = await host.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.equal(listed.producers.find((p) => p.producerId === audio)?.paused, true);

    // A new connection (as after a dropped link) is still muted: the state is stored.
    alice.client.close();
    await host.client.waitFor('participant:left', (e) => e.participantId === alice.participantId);
    const rejoined = host.client.waitFor(
      'participant:joined',
      (p) => p.participantId === alice.participantId && p.mutedByHost.length > 0,
    );
    const again = await rooms.connect(alice.token);
    const secondJoin = await again.request('room:join', {});
    assert.ok(secondJoin.ok);
    assert.deepEqual(joinedOf(secondJoin).self.mutedByHost, ['audio']);
    assert.deepEqual((await rejoined).mutedByHost, ['audio']);
    const send = await sendTransport(again);
    assert.equal(codeOf(await produceAck(again, send, 'audio')), 'MUTED_BY_HOST');

    // A host allows it: she may send her microphone again.
    const allowedTold = again.waitFor('media:hostMuteChanged', (e) => e.mutedByHost.length === 0);
    const allow = await host.client.request('media:allowUnmute', {
      participantId: alice.participantId,
      kind: 'audio',
    });
    assert.ok(allow.ok);
    assert.deepEqual(allow.mutedByHost, []);
    await allowedTold;
    assert.equal(codeOf(await produceAck(again, send, 'audio')), 'ok');
  });

  it('a soft mute can be undone by the participant at once', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const { audio } = await sending(alice);
    const mute = await host.client.request('media:muteParticipant', {
      participantId: alice.participantId,
      kind: 'audio',
    });
    assert.ok(mute.ok);
    await alice.client.waitFor('media:producerPaused', (e) => e.producerId === audio);
    assert.ok((await alice.client.request('media:resumeProducer', { producerId: audio })).ok);
    assert.equal(alice.client.events('media:hostMuteChanged').length, 0);
  });

  it('mute everyone mutes every microphone but the hosts’; hard, nobody can unmute', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const cohost = await room.join('Cohost', 'host');
    const alice = await room.join('Alice');
    const guest = await room.join('Gus', 'guest');
    const [h, c, a, g] = await Promise.all([host, cohost, alice, guest].map((p) => sending(p)));

    const all = await host.client.request('media:muteAll', { hard: true });
    assert.ok(all.ok);
    assert.deepEqual(
      [...all.participantIds].sort(),
      [alice.participantId, guest.participantId].sort(),
    );
    await alice.client.waitFor('media:producerPaused', (e) => e.producerId === a.audio);
    await guest.client.waitFor('media:producerPaused', (e) => e.producerId === g.audio);
    const listed = await host.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    const pausedOf = (id: string) => listed.producers.find((p) => p.producerId === id)?.paused;
    assert.deepEqual(
      [h, c, a, g].map((s) => pausedOf(s.audio)),
      [false, false, true, true],
    );
    for (const [who, ids] of [
      [alice, a],
      [guest, g],
    ] as const) {
      const resume = await who.client.request('media:resumeProducer', { producerId: ids.audio });
      assert.equal(codeOf(resume), 'MUTED_BY_HOST');
    }

    // Soft: the same sweep, and they may unmute themselves (after a host allowed Alice).
    assert.ok(
      (
        await host.client.request('media:allowUnmute', {
          participantId: alice.participantId,
          kind: 'audio',
        })
      ).ok,
    );
    assert.ok((await alice.client.request('media:resumeProducer', { producerId: a.audio })).ok);
    const soft = await host.client.request('media:muteAll', {});
    assert.ok(soft.ok);
    await eventually(async () => {
      const now = await host.client.request('media:listProducers', {});
      return now.ok && now.producers.find((p) => p.producerId === a.audio)?.paused;
    }, 'Alice muted again');
    assert.ok((await alice.client.request('media:resumeProducer', { producerId: a.audio })).ok);
  });

  it('ask to unmute, accepted: the hard mute is lifted, the microphone resumes and hosts are told', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const { audio } = await sending(alice);
    const target = { participantId: alice.participantId, kind: 'audio' as const };
    assert.ok((await host.client.request('media:muteParticipant', { ...target, hard: true })).ok);
    await alice.client.waitFor('media:producerPaused', (e) => e.producerId === audio);

    // No ask yet: nothing to accept (accepting is no way around a hard mute).
    const early = await alice.client.request('media:answerUnmute', { kind: 'audio', accept: true });
    assert.equal(codeOf(early), 'UNMUTE_NOT_REQUESTED');

    const asked = alice.client.waitFor('media:unmuteRequested');
    assert.ok((await host.client.request('media:askToUnmute', target)).ok);
    assert.deepEqual(await asked, { kind: 'audio' });

    const answered = host.client.waitFor('media:unmuteAnswered');
    const resumed = host.client.waitFor('media:producerResumed', (e) => e.producerId === audio);
    const lifted = host.client.waitFor('media:hostMuteChanged', (e) => e.mutedByHost.length === 0);
    const accept = await alice.client.request('media:answerUnmute', {
      kind: 'audio',
      accept: true,
    });
    assert.ok(accept.ok, JSON.stringify(accept));
    assert.deepEqual(await answered, {
      participantId: alice.participantId,
      kind: 'audio',
      accepted: true,
    });
    await resumed;
    await lifted;
    const listed = await host.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.equal(listed.producers.find((p) => p.producerId === audio)?.paused, false);
    // The ask was answered: answering again is refused.
    const twice = await alice.client.request('media:answerUnmute', { kind: 'audio', accept: true });
    assert.equal(codeOf(twice), 'UNMUTE_NOT_REQUESTED');
  });

  it('ask to unmute, declined: the host is told and the hard mute stays', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const { audio } = await sending(alice);
    const target = { participantId: alice.participantId, kind: 'audio' as const };
    assert.ok((await host.client.request('media:muteParticipant', { ...target, hard: true })).ok);
    assert.ok((await host.client.request('media:askToUnmute', target)).ok);
    await alice.client.waitFor('media:unmuteRequested');

    const answered = host.client.waitFor('media:unmuteAnswered');
    assert.ok(
      (await alice.client.request('media:answerUnmute', { kind: 'audio', accept: false })).ok,
    );
    assert.deepEqual(await answered, {
      participantId: alice.participantId,
      kind: 'audio',
      accepted: false,
    });
    const resume = await alice.client.request('media:resumeProducer', { producerId: audio });
    assert.equal(codeOf(resume), 'MUTED_BY_HOST');
    // Asking someone who is not in the room is refused.
    const outsider = await room.issue('Nobody');
    const absent = await host.client.request('media:askToUnmute', {
      participantId: outsider.participantId,
      kind: 'audio',
    });
    assert.equal(codeOf(absent), 'PARTICIPANT_NOT_FOUND');
  });

  it('hands: shown oldest first to everyone, also to who joins later; own hand and a host lowering any', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const bob = await room.join('Bob');
    const carol = await room.join('Carol');

    const raised: string[] = [];
    for (const person of [bob, alice, carol]) {
      const seen = host.client.waitFor(
        'hand:raised',
        (e) => e.participantId === person.participantId,
      );
      const ack = await person.client.request('hand:raise', {});
      assert.ok(ack.ok);
      assert.equal((await seen).raisedAt, ack.raisedAt);
      raised.push(ack.raisedAt);
    }
    // Raising again keeps the first time, and is not announced again.
    const again = await bob.client.request('hand:raise', {});
    assert.ok(again.ok);
    assert.equal(again.raisedAt, raised[0]);

    const dave = await room.join('Dave');
    const handsOrder = (joined: JoinedResult) =>
      joined.participants
        .filter((p) => p.handRaisedAt !== null)
        .sort((x, y) => (x.handRaisedAt ?? '').localeCompare(y.handRaisedAt ?? ''))
        .map((p) => p.displayName);
    assert.deepEqual(handsOrder(joinedOf(dave.joined)), ['Bob', 'Alice', 'Carol']);

    // Only a host lowers someone else's hand.
    const notHost = await dave.client.request('hand:lowerParticipant', {
      participantId: bob.participantId,
    });
    assert.equal(codeOf(notHost), 'FORBIDDEN');
    const lowered = dave.client.waitFor(
      'hand:lowered',
      (e) => e.participantId === bob.participantId,
    );
    assert.ok(
      (await host.client.request('hand:lowerParticipant', { participantId: bob.participantId })).ok,
    );
    assert.deepEqual(await lowered, { participantId: bob.participantId, byHost: true });
    const own = dave.client.waitFor('hand:lowered', (e) => e.participantId === alice.participantId);
    assert.ok((await alice.client.request('hand:lower', {})).ok);
    assert.deepEqual(await own, { participantId: alice.participantId, byHost: false });
    assert.equal(
      host.client.events('hand:raised').filter((e) => e.participantId === bob.participantId).length,
      1,
    );

    // Carol's hand survives a dropped link; leaving on purpose puts it down.
    carol.client.close();
    await host.client.waitFor('participant:left', (e) => e.participantId === carol.participantId);
    const back = host.client.waitFor(
      'participant:joined',
      (p) => p.participantId === carol.participantId && p.handRaisedAt !== null,
    );
    const carolAgain = await rooms.connectAndJoin(carol.token);
    assert.equal((await back).handRaisedAt, raised[2]);
    assert.ok((await carolAgain.request('room:leave', {})).ok);
    const eve = await room.join('Eve');
    assert.deepEqual(handsOrder(joinedOf(eve.joined)), []);
  });

  it('the admin API: hard mute, allow, ask, mute everyone, lower a hand, and who has which', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const { audio } = await sending(alice);
    const base = `/api/v1/rooms/${room.id}/participants/${alice.participantId}`;

    const muted = await admin.post(`${base}/mute`, { kind: 'audio', hard: true }).expect(200);
    assert.deepEqual(muted.body, { producerIds: [audio] });
    const refused = await alice.client.request('media:resumeProducer', { producerId: audio });
    assert.equal(codeOf(refused), 'MUTED_BY_HOST');
    assert.ok((await alice.client.request('hand:raise', {})).ok);
    const listed = await admin.get(`/api/v1/rooms/${room.id}/participants`).expect(200);
    const aliceView = (
      listed.body as { participantId: string; mutedByHost: string[]; handRaisedAt: unknown }[]
    ).find((p) => p.participantId === alice.participantId);
    assert.deepEqual(aliceView?.mutedByHost, ['audio']);
    assert.equal(typeof aliceView?.handRaisedAt, 'string');

    const asked = alice.client.waitFor('media:unmuteRequested');
    await admin.post(`${base}/ask-to-unmute`, { kind: 'audio' }).expect(204);
    await asked;
    const allowed = await admin.post(`${base}/allow-unmute`, { kind: 'audio' }).expect(200);
    assert.deepEqual(allowed.body, { mutedByHost: [] });
    assert.ok((await alice.client.request('media:resumeProducer', { producerId: audio })).ok);

    const everyone = await admin.post(`/api/v1/rooms/${room.id}/mute-all`, { hard: true });
    assert.equal(everyone.status, 200);
    assert.deepEqual(everyone.body, { participantIds: [alice.participantId] });
    await eventually(async () => {
      const now = await host.client.request('media:listProducers', {});
      return now.ok && now.producers.find((p) => p.producerId === audio)?.paused;
    }, 'muted by mute-all');

    const lowered = host.client.waitFor('hand:lowered');
    await admin.delete(`${base}/hand`).expect(204);
    assert.deepEqual(await lowered, { participantId: alice.participantId, byHost: true });
    await admin.delete(`${base}/hand`).expect(204);

    // Bad input and unknown ids.
    await admin.post(`${base}/mute`, { kind: 'audio', hard: 'yes' }).expect(400);
    await admin.post(`${base}/allow-unmute`, { kind: 'loud' }).expect(400);
    await admin.post(`/api/v1/rooms/${room.id}/mute-all`, { hard: 1 }).expect(400);
    const nobody = `/api/v1/rooms/${room.id}/participants/00000000-0000-4000-8000-000000000000`;
    const missing = await admin.post(`${nobody}/allow-unmute`, { kind: 'audio' }).expect(404);
    assert.equal(missing.body.error.code, 'PARTICIPANT_NOT_FOUND');
    await admin.post(`${nobody}/ask-to-unmute`, { kind: 'audio' }).expect(404);
    await admin.delete(`${nobody}/hand`).expect(404);
    const noRoom = await admin
      .post('/api/v1/rooms/00000000-0000-4000-8000-000000000000/mute-all', {})
      .expect(404);
    assert.equal(noRoom.body.error.code, 'ROOM_NOT_FOUND');
  });
});
