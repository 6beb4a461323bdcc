import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Ack, MediaKind, MediaSource, RoomMediaStats } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import {
  consumeAndResume,
  MEDIA_TEST_ENV,
  opusRtpParameters,
  roomMedia,
  routerCapabilities,
  vp8RtpParameters,
} from './support/media.js';
import { type Person, useRooms } from './support/room.js';

// Screen sharing over the socket and the admin API, with real mediasoup workers: producers carry
// their source, the room and the deployment decide who may share, one share each, and a host
// (or the admin API) can stop someone's share.

const BASE_ENV = { ...MEDIA_TEST_ENV, CONVENE_GUEST_AUDIO_ONLY: 'false' };
const ENV = { ...BASE_ENV, CONVENE_RTC_MIN_PORT: '42100', CONVENE_RTC_MAX_PORT: '42149' };

const codeOf = (ack: Ack) => (ack.ok ? 'ok' : ack.error.code);
let nextSsrc = 30_000_000;

/** A person's send transport and what they produce on it (each stream with an SSRC of its own). */
class Sender {
  private constructor(
    readonly person: Person,
    readonly transportId: string,
  ) {}

  static async open(person: Person): Promise<Sender> {
    const ack = await person.client.request('media:createTransport', { direction: 'send' });
    assert.ok(ack.ok, JSON.stringify(ack));
    return new Sender(person, ack.transport.id);
  }

  produce(kind: MediaKind, source?: MediaSource) {
    const ssrc = nextSsrc++;
    const rtpParameters = kind === 'audio' ? opusRtpParameters(ssrc) : vp8RtpParameters(ssrc);
    return this.person.client.request('media:produce', {
      transportId: this.transportId,
      kind,
      rtpParameters,
      ...(source ? { source } : {}),
    });
  }

  /** Produces and fails the test if refused; the producer id. */
  async started(kind: MediaKind, source?: MediaSource): Promise<string> {
    const ack = await this.produce(kind, source);
    if (!ack.ok) assert.fail(`${this.person.name} could not produce ${source}: ${ack.error.code}`);
    return ack.producerId;
  }
}

const sourcesIn = (media: RoomMediaStats, participantId: string) =>
  media.participants
    .filter((p) => p.participantId === participantId)
    .flatMap((p) => p.producers.map((x) => x.source))
    .sort();

describe('screen sharing: sources, who may share, one share each, stopping', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp(ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('a source must fit its kind; without one, a producer is the camera or the microphone', async () => {
    const room = await rooms.create();
    const alice = await Sender.open(await room.join('Alice'));
    const refused = await Promise.all([
      alice.produce('audio', 'screen'),
      alice.produce('video', 'screen-audio'),
      alice.produce('audio', 'camera'),
      alice.produce('video', 'microphone'),
    ]);
    assert.deepEqual(refused.map(codeOf), Array(4).fill('SOURCE_KIND_MISMATCH'));
    assert.match((refused[0] as Ack & { ok: false }).error.message, /screen.*video/);
    const unknown = await alice.person.client.requestRaw('media:produce', {
      transportId: alice.transportId,
      kind: 'video',
      rtpParameters: vp8RtpParameters(nextSsrc++),
      source: 'window',
    });
    assert.equal(codeOf(unknown as Ack), 'VALIDATION_FAILED');

    // An old client's produce (no source) is the camera and the microphone.
    const camera = await alice.started('video');
    const microphone = await alice.started('audio');
    const listed = await alice.person.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    const sourceOf = (id: string) => listed.producers.find((p) => p.producerId === id)?.source;
    assert.equal(sourceOf(camera), 'camera');
    assert.equal(sourceOf(microphone), 'microphone');
  });

  it('the room hears of a share with its source; listProducers, consume and the admin media API show it', async () => {
    const room = await rooms.create();
    const alice = await Sender.open(await room.join('Alice'));
    const bob = await room.join('Bob');
    const announced = bob.client.waitFor('media:newProducer', (p) => p.source === 'screen');
    const camera = await alice.started('video', 'camera');
    const screen = await alice.started('video', 'screen');
    const sound = await alice.started('audio', 'screen-audio');
    assert.deepEqual(await announced, {
      producerId: screen,
      participantId: alice.person.participantId,
      kind: 'video',
      source: 'screen',
      paused: false,
    });
    const listed = await bob.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.producers.map((p) => [p.producerId, p.source]).sort(),
      [
        [camera, 'camera'],
        [screen, 'screen'],
        [sound, 'screen-audio'],
      ].sort(),
    );
    const recv = await bob.client.request('media:createTransport', { direction: 'recv' });
    assert.ok(recv.ok);
    const consumer = await consumeAndResume(
      bob.client,
      recv.transport.id,
      screen,
      await routerCapabilities(bob.client),
    );
    assert.equal(consumer.source, 'screen');
    assert.equal(consumer.participantId, alice.person.participantId);
    assert.deepEqual(sourcesIn(await roomMedia(admin, room.id), alice.person.participantId), [
      'camera',
      'screen',
      'screen-audio',
    ]);
  });

  it('one share at a time per participant; stopping it closes picture and sound for everyone, then sharing again works', async () => {
    const room = await rooms.create();
    const alice = await Sender.open(await room.join('Alice'));
    const bob = await room.join('Bob');
    const screen = await alice.started('video', 'screen');
    const sound = await alice.started('audio', 'screen-audio');
    const twice = await Promise.all([
      alice.produce('video', 'screen'),
      alice.produce('audio', 'screen-audio'),
    ]);
    assert.deepEqual(twice.map(codeOf), ['SHARE_ALREADY_ACTIVE', 'SHARE_ALREADY_ACTIVE']);
    // Two at once (a double click) get one share, not two.
    const bobSender = await Sender.open(bob);
    const racing = await Promise.all([
      bobSender.produce('video', 'screen'),
      bobSender.produce('video', 'screen'),
    ]);
    assert.deepEqual(racing.map(codeOf).sort(), ['SHARE_ALREADY_ACTIVE', 'ok']);

    const closed = bob.client.waitFor('media:producerClosed', (e) => e.producerId === screen);
    const stopped = await alice.person.client.request('media:stopShare', {});
    assert.ok(stopped.ok);
    assert.deepEqual(stopped.producerIds.sort(), [screen, sound].sort());
    assert.equal((await closed).participantId, alice.person.participantId);
    await bob.client.waitFor('media:producerClosed', (e) => e.producerId === sound);
    // Nothing left to stop: an empty answer, not an error (the browser's stop and the button may both fire).
    const again = await alice.person.client.request('media:stopShare', {});
    assert.deepEqual(again, { ok: true, producerIds: [] });
    assert.equal(codeOf(await alice.produce('video', 'screen')), 'ok');
  });

  it("a room of screenShare 'hosts' refuses participants and lets hosts; PATCH changes it and tells the room", async () => {
    const room = await rooms.create({ screenShare: 'hosts' });
    const got = await admin.get(`/api/v1/rooms/${room.id}`).expect(200);
    assert.equal((got.body as { screenShare: string }).screenShare, 'hosts');
    const hostPerson = await room.join('Host', 'host');
    assert.equal(
      hostPerson.joined?.status === 'joined' && hostPerson.joined.room.screenShare,
      'hosts',
    );
    const host = await Sender.open(hostPerson);
    const alice = await Sender.open(await room.join('Alice'));
    const refused = await alice.produce('video', 'screen');
    assert.equal(codeOf(refused), 'SHARE_NOT_ALLOWED');
    assert.match((refused as Ack & { ok: false }).error.message, /Only hosts/);
    assert.equal(codeOf(await alice.produce('audio', 'screen-audio')), 'SHARE_NOT_ALLOWED');
    // Her camera is not a share.
    assert.equal(codeOf(await alice.produce('video', 'camera')), 'ok');
    assert.equal(codeOf(await host.produce('video', 'screen')), 'ok');

    await admin.patch(`/api/v1/rooms/${room.id}`, { screenShare: 'anyone' }).expect(400);
    const told = alice.person.client.waitFor('room:updated');
    const patched = await admin
      .patch(`/api/v1/rooms/${room.id}`, { screenShare: 'everyone' })
      .expect(200);
    assert.equal((patched.body as { screenShare: string }).screenShare, 'everyone');
    assert.deepEqual(await told, { screenShare: 'everyone' });
    const read = await admin.get(`/api/v1/rooms/${room.id}`).expect(200);
    assert.equal((read.body as { screenShare: string }).screenShare, 'everyone');
    assert.equal(codeOf(await alice.produce('video', 'screen')), 'ok');
    await admin.patch(`/api/v1/rooms/00000000-0000-4000-8000-000000000000`, {}).expect(404);
  });

  it('guests may share where the deployment lets them (the default)', async () => {
    const room = await rooms.create();
    const guest = await room.join('Guest', 'guest');
    assert.equal(guest.joined?.status === 'joined' && guest.joined.guestsMayShare, true);
    assert.equal(codeOf(await (await Sender.open(guest)).produce('video', 'screen')), 'ok');
  });

  it('a host stops a share: the sharer is told, the others see it close; others may not; nothing to stop is SHARE_NOT_FOUND', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await Sender.open(await room.join('Alice'));
    const bob = await room.join('Bob');
    const camera = await alice.started('video', 'camera');
    const screen = await alice.started('video', 'screen');
    const target = { participantId: alice.person.participantId };

    assert.equal(
      codeOf(await bob.client.request('media:stopParticipantShare', target)),
      'FORBIDDEN',
    );
    const told = alice.person.client.waitFor('media:shareStopped');
    const closed = bob.client.waitFor('media:producerClosed', (e) => e.producerId === screen);
    const stop = await host.client.request('media:stopParticipantShare', target);
    assert.deepEqual(stop, { ok: true, producerIds: [screen] });
    assert.deepEqual(await told, { producerIds: [screen], byHost: true });
    await closed;
    const listed = await bob.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.producers.map((p) => p.producerId),
      [camera],
      'her camera goes on',
    );
    assert.equal(
      codeOf(await host.client.request('media:stopParticipantShare', target)),
      'SHARE_NOT_FOUND',
    );
    const bad = await host.client.requestRaw('media:stopParticipantShare', { participantId: 'x' });
    assert.equal(codeOf(bad as Ack), 'VALIDATION_FAILED');
  });

  it("a host's mute of the camera leaves the share alone", async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await Sender.open(await room.join('Alice'));
    const camera = await alice.started('video', 'camera');
    const screen = await alice.started('video', 'screen');
    const mute = await host.client.request('media:muteParticipant', {
      participantId: alice.person.participantId,
      kind: 'video',
      hard: true,
    });
    assert.equal(codeOf(mute), 'ok');
    const listed = await host.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    const paused = (id: string) => listed.producers.find((p) => p.producerId === id)?.paused;
    assert.equal(paused(camera), true);
    assert.equal(paused(screen), false);
  });

  it('the admin API stops a share (204, the sharer told); none to stop is 404 SHARE_NOT_FOUND', async () => {
    const room = await rooms.create();
    const alice = await Sender.open(await room.join('Alice'));
    const bob = await room.join('Bob');
    const screen = await alice.started('video', 'screen');
    const path = `/api/v1/rooms/${room.id}/participants/${alice.person.participantId}/screen-share`;
    const told = alice.person.client.waitFor('media:shareStopped');
    const closed = bob.client.waitFor('media:producerClosed', (e) => e.producerId === screen);
    await admin.delete(path).expect(204);
    assert.deepEqual(await told, { producerIds: [screen], byHost: true });
    await closed;
    const none = await admin.delete(path).expect(404);
    assert.equal((none.body as { error: { code: string } }).error.code, 'SHARE_NOT_FOUND');
    const stranger = await admin
      .delete(`/api/v1/rooms/${room.id}/participants/${randomUUID()}/screen-share`)
      .expect(404);
    assert.equal(
      (stranger.body as { error: { code: string } }).error.code,
      'PARTICIPANT_NOT_FOUND',
    );
  });
});

describe('screen sharing with CONVENE_GUESTS_MAY_SHARE=false', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({
      ...BASE_ENV,
      CONVENE_GUESTS_MAY_SHARE: 'false',
      CONVENE_RTC_MIN_PORT: '42150',
      CONVENE_RTC_MAX_PORT: '42199',
    });
  });
  const rooms = useRooms(() => t);
  after(async () => {
    await t.close();
    delete process.env.CONVENE_GUESTS_MAY_SHARE;
  });

  it('guests are refused whatever the room allows; participants and their camera are not', async () => {
    const room = await rooms.create({ screenShare: 'everyone' });
    const guestPerson = await room.join('Guest', 'guest');
    assert.equal(
      guestPerson.joined?.status === 'joined' && guestPerson.joined.guestsMayShare,
      false,
    );
    const guest = await Sender.open(guestPerson);
    const refused = await guest.produce('video', 'screen');
    assert.equal(codeOf(refused), 'SHARE_NOT_ALLOWED');
    assert.match((refused as Ack & { ok: false }).error.message, /Guests/);
    assert.equal(codeOf(await guest.produce('video', 'camera')), 'ok');
    const alice = await Sender.open(await room.join('Alice'));
    assert.equal(codeOf(await alice.produce('video', 'screen')), 'ok');
  });
});
