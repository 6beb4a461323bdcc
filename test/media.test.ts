import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RoomRouters } from '../src/media/room-routers.js';
import { WorkerPool } from '../src/media/worker-pool.js';
import type {
  ClientToServerEvents,
  MediaKind,
  PayloadOf,
  TransportDirection,
} from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import {
  audioPair,
  callerOf,
  consumeAndResume,
  eventually,
  MEDIA_TEST_ENV,
  opusRtpParameters,
  plainTransport,
  roomMedia,
  routerCapabilities,
  RtpSender,
  RtpSink,
  ssrcOf,
  vp8RtpParameters,
} from './support/media.js';
import { type Person, useRooms } from './support/room.js';
import { type TestClient, sleep } from './support/sockets.js';

async function transport(client: TestClient, direction: TransportDirection): Promise<string> {
  const ack = await client.request('media:createTransport', { direction });
  assert.ok(ack.ok, JSON.stringify(ack));
  return ack.transport.id;
}

async function produce(
  m: Person,
  transportId: string,
  kind: MediaKind,
  rtpParameters: unknown,
): Promise<string> {
  const ack = await m.client.request('media:produce', { transportId, kind, rtpParameters });
  assert.ok(ack.ok, JSON.stringify(ack));
  return ack.producerId;
}

describe('media: real RTP through the SFU', () => {
  let t: TestApp;
  let admin: Admin;
  const senders: RtpSender[] = [];
  const sinks: RtpSink[] = [];
  before(async () => {
    t = await startApp(MEDIA_TEST_ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(async () => {
    await Promise.all(senders.map((s) => s.stop()));
    for (const sink of sinks) sink.close();
    await t.close();
  });

  /**
   * Alice's ffmpeg sends opus + VP8 into plain transports she owns; Bob consumes both on a plain
   * receive transport pointed at a UDP socket of the test. Returns what is needed to observe it.
   */
  async function flowingRoom() {
    const room = await rooms.create();
    const alice = await room.join('Alice');
    const bob = await room.join('Bob');
    const caps = await routerCapabilities(bob.client);
    const audioIn = await plainTransport(t, callerOf(alice.client, alice), 'send');
    const videoIn = await plainTransport(t, callerOf(alice.client, alice), 'send');
    const announced = bob.client.waitFor('media:newProducer', (p) => p.kind === 'video');
    const audioProducer = await produce(alice, audioIn.id, 'audio', opusRtpParameters());
    const videoProducer = await produce(alice, videoIn.id, 'video', vp8RtpParameters());
    assert.equal((await announced).participantId, alice.participantId);

    const sink = await RtpSink.open();
    sinks.push(sink);
    const out = await plainTransport(t, callerOf(bob.client, bob), 'recv', {
      ip: '127.0.0.1',
      port: sink.port,
    });
    const audioConsumer = await consumeAndResume(bob.client, out.id, audioProducer, caps);
    const videoConsumer = await consumeAndResume(bob.client, out.id, videoProducer, caps);
    const sender = RtpSender.start({ audio: audioIn, video: videoIn });
    senders.push(sender);
    return {
      roomId: room.id,
      alice,
      bob,
      sink,
      sender,
      audioProducer,
      videoProducer,
      audioConsumer,
      videoConsumer,
    };
  }

  it('forwards opus and VP8 from an ffmpeg RTP sender to a consumer: packets and bytes grow on both sides', async () => {
    const room = await flowingRoom();
    const [audioSsrc, videoSsrc] = [ssrcOf(room.audioConsumer), ssrcOf(room.videoConsumer)];
    assert.equal(room.audioConsumer.paused, true, 'consumers start paused');

    const first = await eventually(async () => {
      const media = await roomMedia(admin, room.roomId);
      const bob = media.participants.find((p) => p.participantId === room.bob.participantId);
      const ok =
        bob && bob.consumers.length === 2 && bob.consumers.every((c) => c.packetCount > 20);
      return ok ? media : undefined;
    }, 'consumer packets');
    await sleep(1500);
    const second = await roomMedia(admin, room.roomId);

    const consumerStats = (m: typeof first, id: string) =>
      m.participants.flatMap((p) => p.consumers).find((c) => c.id === id) ??
      assert.fail(`no consumer ${id}`);
    const producerStats = (m: typeof first, id: string) =>
      m.participants.flatMap((p) => p.producers).find((c) => c.id === id) ??
      assert.fail(`no producer ${id}`);
    for (const id of [room.audioConsumer.id, room.videoConsumer.id]) {
      const [a, b] = [consumerStats(first, id), consumerStats(second, id)];
      assert.ok(
        b.packetCount > a.packetCount && b.byteCount > a.byteCount,
        `consumer ${id} stats did not grow: ${JSON.stringify([a, b])}`,
      );
      assert.ok(b.bitrate > 0);
    }
    for (const id of [room.audioProducer, room.videoProducer]) {
      const p = producerStats(second, id);
      assert.ok(
        p.packetCount > 0 && p.byteCount > 0 && p.bitrate > 0,
        `producer ${id}: ${JSON.stringify(p)}`,
      );
    }
    // What actually left the SFU: RTP with the consumer's SSRCs and payload types.
    assert.ok(
      room.sink.count(audioSsrc) > 50,
      `audio packets received: ${room.sink.count(audioSsrc)}`,
    );
    assert.ok(
      room.sink.count(videoSsrc) > 20,
      `video packets received: ${room.sink.count(videoSsrc)}`,
    );
    const audioPt = (room.audioConsumer.rtpParameters as { codecs: { payloadType: number }[] })
      .codecs[0].payloadType;
    assert.deepEqual([...(room.sink.packets.get(audioSsrc)?.payloadTypes ?? [])], [audioPt]);
    const v = consumerStats(second, room.videoConsumer.id);
    const a = consumerStats(second, room.audioConsumer.id);
    console.log(
      `# audio consumer: ${a.packetCount} packets / ${a.byteCount} bytes, ${a.bitrate} bps; ` +
        `video consumer: ${v.packetCount} packets / ${v.byteCount} bytes, ${v.bitrate} bps; ` +
        `received by the sink: audio ${room.sink.count(audioSsrc)}, video ${room.sink.count(videoSsrc)} packets`,
    );
    await room.sender.stop();
  });

  it('recovers from a worker killed with SIGKILL: a replacement starts, the room is told to restart, and media flows again', async () => {
    const room = await flowingRoom();
    await eventually(
      () =>
        room.sink.count(ssrcOf(room.audioConsumer)) > 10 &&
        room.sink.count(ssrcOf(room.videoConsumer)) > 10,
      'media before the kill',
    );
    const pool = t.app.get(WorkerPool);
    const before = await roomMedia(admin, room.roomId);
    const victim = before.router?.workerPid ?? assert.fail('no router');
    const pidsBefore = pool.summary().map((w) => w.pid);

    const aliceRestart = room.alice.client.waitFor('media:restart', undefined, 10_000);
    const bobRestart = room.bob.client.waitFor('media:restart', undefined, 10_000);
    process.kill(victim, 'SIGKILL');
    await Promise.all([aliceRestart, bobRestart]);
    await room.sender.stop();

    const pidsAfter = await eventually(() => {
      const pids = pool.summary().map((w) => w.pid);
      return pids.length === pidsBefore.length && !pids.includes(victim) ? pids : undefined;
    }, 'replacement worker');
    assert.equal(pidsAfter.length, 2);
    const afterKill = await roomMedia(admin, room.roomId);
    assert.ok(afterKill.router, 'router rebuilt');
    assert.notEqual(afterKill.router.workerPid, victim);
    assert.deepEqual(afterKill.totals, { transports: 0, producers: 0, consumers: 0 });

    // The clients rebuild, as a real client does on media:restart.
    const pair = await audioPair(t, room.alice, room.bob);
    sinks.push(pair.sink);
    senders.push(pair.sender);
    const { consumer } = pair;
    await eventually(() => pair.received() > 50 || undefined, 'audio after the restart');
    const stats = (await roomMedia(admin, room.roomId)).participants
      .flatMap((p) => p.consumers)
      .find((c) => c.id === consumer.id);
    assert.ok(stats && stats.packetCount > 50, JSON.stringify(stats));
    console.log(
      `# after the worker restart: consumer ${stats.packetCount} packets / ${stats.byteCount} bytes; sink ${pair.received()} packets`,
    );
  });
});

describe('media: cleanup', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp(MEDIA_TEST_ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  /** Alice sends audio and video over WebRTC transports; Bob receives both. */
  async function busyRoom() {
    const room = await rooms.create();
    const alice = await room.join('Alice');
    const bob = await room.join('Bob');
    const caps = await routerCapabilities(bob.client);
    const send = await transport(alice.client, 'send');
    const audio = await produce(alice, send, 'audio', opusRtpParameters());
    const video = await produce(alice, send, 'video', vp8RtpParameters());
    const recv = await transport(bob.client, 'recv');
    await consumeAndResume(bob.client, recv, audio, caps);
    await consumeAndResume(bob.client, recv, video, caps);
    assert.deepEqual((await roomMedia(admin, room.id)).totals, {
      transports: 2,
      producers: 2,
      consumers: 2,
    });
    return { roomId: room.id, alice, bob, audio, video };
  }

  const totals = async (roomId: string) => (await roomMedia(admin, roomId)).totals;

  it('a participant who leaves loses their transports and consumers; the others keep theirs', async () => {
    const room = await busyRoom();
    assert.ok((await room.bob.client.request('room:leave', {})).ok);
    assert.deepEqual(await totals(room.roomId), { transports: 1, producers: 2, consumers: 0 });
  });

  it('a kicked producer takes their producers along and the consumers of others are closed (and told)', async () => {
    const room = await busyRoom();
    const closed = room.bob.client.waitFor('media:consumerClosed');
    const producerClosed = room.bob.client.waitFor('media:producerClosed');
    await admin
      .delete(`/api/v1/rooms/${room.roomId}/participants/${room.alice.participantId}`)
      .expect(204);
    assert.ok([room.audio, room.video].includes((await closed).producerId));
    assert.equal((await producerClosed).participantId, room.alice.participantId);
    await eventually(async () => {
      const n = await totals(room.roomId);
      return n.transports === 1 && n.producers === 0 && n.consumers === 0;
    }, 'kick cleanup');
  });

  it('a disconnect cleans up everything of that connection, and the empty room loses its router', async () => {
    const room = await busyRoom();
    room.alice.client.close();
    room.bob.client.close();
    await eventually(async () => {
      const media = await roomMedia(admin, room.roomId);
      return (
        media.router === null && media.totals.transports === 0 && media.participants.length === 0
      );
    }, 'disconnect cleanup and router close');
    assert.equal(
      t.app
        .get(WorkerPool)
        .summary()
        .reduce((n, w) => n + w.transports, 0),
      0,
      'no transport left on any worker',
    );
  });

  it('closing the room closes everything at once', async () => {
    const room = await busyRoom();
    await admin.delete(`/api/v1/rooms/${room.roomId}`).expect(204);
    const media = await roomMedia(admin, room.roomId);
    assert.deepEqual(media.totals, { transports: 0, producers: 0, consumers: 0 });
    await eventually(
      async () => (await roomMedia(admin, room.roomId)).router === null,
      'router closed',
    );
  });

  it('a second connection of the same participant starts fresh media; the old one is released', async () => {
    const room = await rooms.create();
    const carol = await room.join('Carol');
    await transport(carol.client, 'send');
    const second = await rooms.connectAndJoin(carol.token);
    await eventually(
      async () => (await totals(room.id)).transports === 0,
      'old connection released',
    );
    await transport(second, 'recv');
    assert.equal((await totals(room.id)).transports, 1);
  });
});

describe('media: an empty room keeps its router for the grace period', () => {
  const GRACE_SECONDS = 3;
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp({
      ...MEDIA_TEST_ENV,
      CONVENE_RTC_MIN_PORT: '41400',
      CONVENE_RTC_MAX_PORT: '41599',
      CONVENE_ROOM_GRACE_SECONDS: String(GRACE_SECONDS),
    });
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('someone back within the grace period finds the same router; after it, the router closes', async () => {
    const room = await rooms.create();
    const routerId = () => t.app.get(RoomRouters).peek(room.id)?.router.id;
    const alice = await room.join('Alice');
    await transport(alice.client, 'send');
    const first = routerId();
    assert.ok(first, 'a router exists once media is used');

    alice.client.close();
    await eventually(
      async () => (await roomMedia(admin, room.id)).participants.length === 0,
      'Alice gone',
    );
    const leftAt = Date.now();
    const back = await room.join('Alice again');
    await transport(back.client, 'send');
    assert.ok(Date.now() - leftAt < GRACE_SECONDS * 1000, 'rejoined within the grace period');
    assert.equal(routerId(), first, 'the same router, not a new one');

    back.client.close();
    const emptyAt = Date.now();
    await eventually(
      async () => (await roomMedia(admin, room.id)).router === null,
      'router closed',
    );
    const closedAfterMs = Date.now() - emptyAt;
    assert.ok(
      closedAfterMs >= GRACE_SECONDS * 1000 - 500,
      `closed after ${closedAfterMs} ms, before the grace period`,
    );
  });
});

describe('media: rules and bad input', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp(MEDIA_TEST_ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  const errorCode = (ack: { ok: boolean; error?: { code: string } }) =>
    ack.ok ? 'ok' : ack.error?.code;

  describe('bad requests are refused with clear codes, and the workers keep running', () => {
    const people = useRooms(() => t);
    let pids: number[];
    let alice: Person;
    let bob: Person;
    let aliceSend: string;
    let aliceVideo: string;
    let eveAudio: string;
    let bobRecv: string;
    let caps: unknown;
    /** The code `who` is refused with ('ok' if accepted). */
    const refusal = async <E extends keyof ClientToServerEvents>(
      who: Person,
      event: E,
      payload: PayloadOf<E>,
    ) => errorCode(await who.client.request(event, payload));
    /** Alice sends video and Bob may receive in one room; Eve sends audio in another. */
    before(async () => {
      pids = t.app
        .get(WorkerPool)
        .summary()
        .map((w) => w.pid);
      const room = await people.create();
      const otherRoom = await people.create();
      alice = await room.join('Alice');
      bob = await room.join('Bob');
      const eve = await otherRoom.join('Eve');
      aliceSend = await transport(alice.client, 'send');
      aliceVideo = await produce(alice, aliceSend, 'video', vp8RtpParameters());
      const eveSend = await transport(eve.client, 'send');
      eveAudio = await produce(eve, eveSend, 'audio', opusRtpParameters());
      bobRecv = await transport(bob.client, 'recv');
      caps = await routerCapabilities(bob.client);
    });

    it("someone else's transport or producer is as unknown as a made-up one", async () => {
      assert.equal(
        await refusal(bob, 'media:produce', {
          transportId: aliceSend,
          kind: 'audio',
          rtpParameters: opusRtpParameters(3),
        }),
        'MEDIA_NOT_FOUND',
      );
      assert.equal(
        await refusal(bob, 'media:connectTransport', {
          transportId: aliceSend,
          dtlsParameters: {},
        }),
        'MEDIA_NOT_FOUND',
      );
      assert.equal(
        await refusal(bob, 'media:pauseProducer', { producerId: aliceVideo }),
        'MEDIA_NOT_FOUND',
      );
      assert.equal(
        await refusal(bob, 'media:closeProducer', { producerId: aliceVideo }),
        'MEDIA_NOT_FOUND',
      );
    });

    it('media:pauseConsumer pauses only your own consumer on the server; media:resumeConsumer starts it again', async () => {
      const consumed = await bob.client.request('media:consume', {
        transportId: bobRecv,
        producerId: aliceVideo,
        rtpCapabilities: caps,
      });
      assert.ok(consumed.ok, JSON.stringify(consumed));
      const consumerId = consumed.consumer.id;
      const pausedOnServer = async () =>
        (await roomMedia(admin, bob.roomId)).participants
          .find((p) => p.participantId === bob.participantId)
          ?.consumers.find((c) => c.id === consumerId)?.paused;
      assert.equal(await refusal(bob, 'media:resumeConsumer', { consumerId }), 'ok');
      assert.equal(await pausedOnServer(), false);
      assert.equal(
        await refusal(alice, 'media:pauseConsumer', { consumerId }),
        'MEDIA_NOT_FOUND',
        "someone else's consumer is as unknown as a made-up one",
      );
      assert.equal(await pausedOnServer(), false);
      assert.equal(
        await refusal(bob, 'media:pauseConsumer', { consumerId: 'tile-3' }),
        'VALIDATION_FAILED',
      );
      assert.equal(await refusal(bob, 'media:pauseConsumer', { consumerId }), 'ok');
      assert.equal(await pausedOnServer(), true);
      // Idempotent: a second pause changes nothing and is not an error.
      assert.equal(await refusal(bob, 'media:pauseConsumer', { consumerId }), 'ok');
      assert.equal(await refusal(bob, 'media:resumeConsumer', { consumerId }), 'ok');
      assert.equal(await pausedOnServer(), false);
    });

    // One request each, refused with one code.
    const singleRefusals: [
      behaviour: string,
      attempt: () => Promise<string | undefined>,
      code: string,
    ][] = [
      [
        'a producer of another room cannot be consumed, even with its id',
        () =>
          refusal(bob, 'media:consume', {
            transportId: bobRecv,
            producerId: eveAudio,
            rtpCapabilities: caps,
          }),
        'MEDIA_NOT_FOUND',
      ],
      [
        'consuming on a send transport is MEDIA_REJECTED',
        () =>
          refusal(alice, 'media:consume', {
            transportId: aliceSend,
            producerId: aliceVideo,
            rtpCapabilities: caps,
          }),
        'MEDIA_REJECTED',
      ],
      [
        'a second producer with an SSRC already in use is MEDIA_REJECTED',
        () =>
          refusal(alice, 'media:produce', {
            transportId: aliceSend,
            kind: 'video',
            rtpParameters: vp8RtpParameters(),
          }),
        'MEDIA_REJECTED',
      ],
      [
        'DTLS parameters mediasoup does not accept are MEDIA_REJECTED',
        () =>
          refusal(alice, 'media:connectTransport', {
            transportId: aliceSend,
            dtlsParameters: { role: 'sideways' },
          }),
        'MEDIA_REJECTED',
      ],
      [
        'preferred layers for an unknown consumer are MEDIA_NOT_FOUND',
        () =>
          refusal(bob, 'media:setPreferredLayers', {
            consumerId: '00000000-0000-4000-8000-000000000000',
            spatialLayer: 1,
          }),
        'MEDIA_NOT_FOUND',
      ],
    ];
    for (const [behaviour, attempt, code] of singleRefusals)
      it(behaviour, async () => assert.equal(await attempt(), code, behaviour));

    it('malformed rtpParameters: the wrong shape for the DTO is VALIDATION_FAILED, the wrong content for mediasoup MEDIA_REJECTED', async () => {
      assert.equal(
        await refusal(alice, 'media:produce', {
          transportId: aliceSend,
          kind: 'audio',
          rtpParameters: 'opus',
        }),
        'VALIDATION_FAILED',
      );
      const garbage = await alice.client.request('media:produce', {
        transportId: aliceSend,
        kind: 'audio',
        rtpParameters: { codecs: 'x', encodings: [] },
      });
      assert.equal(errorCode(garbage), 'MEDIA_REJECTED');
      assert.ok(!garbage.ok && garbage.error.message.length > 0);
      const unknownCodec = await alice.client.request('media:produce', {
        transportId: aliceSend,
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/AMR', payloadType: 96, clockRate: 8000 }],
          encodings: [{ ssrc: 5 }],
        },
      });
      assert.equal(errorCode(unknownCodec), 'MEDIA_REJECTED');
      assert.equal(
        errorCode(
          (await alice.client.requestRaw('media:produce', {
            transportId: 'nope',
            kind: 'smell',
            rtpParameters: {},
          })) as { ok: boolean },
        ),
        'VALIDATION_FAILED',
      );
    });

    it('capabilities without VP8 cannot consume a VP8 producer; garbage capabilities neither', async () => {
      const opusOnly = {
        codecs: [
          {
            kind: 'audio',
            mimeType: 'audio/opus',
            clockRate: 48000,
            channels: 2,
            preferredPayloadType: 100,
          },
        ],
        headerExtensions: [],
      };
      assert.equal(
        await refusal(bob, 'media:consume', {
          transportId: bobRecv,
          producerId: aliceVideo,
          rtpCapabilities: opusOnly,
        }),
        'MEDIA_INCOMPATIBLE',
      );
      assert.equal(
        await refusal(bob, 'media:consume', {
          transportId: bobRecv,
          producerId: aliceVideo,
          rtpCapabilities: { codecs: 7 },
        }),
        'MEDIA_INCOMPATIBLE',
      );
    });

    // Runs after the refusals above (tests of a describe run in order).
    it('after all the refusals, the same worker processes run and the room still works', async () => {
      assert.deepEqual(
        t.app
          .get(WorkerPool)
          .summary()
          .map((w) => w.pid),
        pids,
      );
      const consumer = await consumeAndResume(bob.client, bobRecv, aliceVideo, caps);
      assert.equal(consumer.producerId, aliceVideo);
    });
  });

  it('media needs a joined connection, and guests may only send audio when so configured', async () => {
    const room = await rooms.create();
    const { client: lurker } = await room.connect('Lurker');
    assert.equal(
      errorCode(await lurker.request('media:getRouterRtpCapabilities', {})),
      'NOT_JOINED',
    );
    assert.equal(
      errorCode(await lurker.request('media:createTransport', { direction: 'send' })),
      'NOT_JOINED',
    );
    lurker.close();

    const guest = await room.join('Guest', 'guest');
    const send = await transport(guest.client, 'send');
    assert.equal(
      errorCode(
        await guest.client.request('media:produce', {
          transportId: send,
          kind: 'video',
          rtpParameters: vp8RtpParameters(),
        }),
      ),
      'FORBIDDEN',
    );
    await produce(guest, send, 'audio', opusRtpParameters());
    assert.equal(
      errorCode(
        await guest.client.request('media:createTransport', { direction: 'sideways' as 'send' }),
      ),
      'VALIDATION_FAILED',
    );
  });

  it("a producer's codecs must all be of its kind: a guest cannot send VP8 as audio, nor anyone opus as video, and no one is told of such a producer", async () => {
    const room = await rooms.create();
    const watcher = await room.join('Watcher');
    const guest = await room.join('Guest', 'guest');
    const member = await room.join('Member');
    const guestSend = await transport(guest.client, 'send');
    const memberSend = await transport(member.client, 'send');
    const refusal = async (
      m: Person,
      transportId: string,
      kind: MediaKind,
      rtpParameters: unknown,
    ) => {
      const ack = await m.client.request('media:produce', { transportId, kind, rtpParameters });
      assert.ok(!ack.ok, `produced: ${JSON.stringify(ack)}`);
      return ack.error;
    };

    // The audio-only guest declares audio but sends VP8.
    const smuggled = await refusal(guest, guestSend, 'audio', vp8RtpParameters(31));
    assert.equal(smuggled.code, 'VALIDATION_FAILED');
    assert.match(smuggled.message, /audio producer cannot carry video\/VP8/);
    // Any participant: opus declared as video, and VP8 with an RTX stream of the other kind.
    const opusAsVideo = await refusal(member, memberSend, 'video', opusRtpParameters(32));
    assert.equal(opusAsVideo.code, 'VALIDATION_FAILED');
    assert.match(opusAsVideo.message, /video producer cannot carry audio\/opus/);
    const audioRtx = await refusal(member, memberSend, 'video', {
      codecs: [
        ...vp8RtpParameters().codecs,
        { mimeType: 'audio/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
      ],
      encodings: [{ ssrc: 33, rtx: { ssrc: 34 } }],
    });
    assert.equal(audioRtx.code, 'VALIDATION_FAILED');
    assert.match(audioRtx.message, /audio\/rtx/);

    // Legitimate producers still work, RTX of the same kind included, and only they are announced.
    await produce(guest, guestSend, 'audio', opusRtpParameters(35));
    await produce(member, memberSend, 'video', {
      codecs: [
        ...vp8RtpParameters().codecs,
        { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
      ],
      encodings: [{ ssrc: 36, rtx: { ssrc: 37 } }],
    });
    await watcher.client.waitFor('media:newProducer', (p) => p.kind === 'video');
    const listed = await watcher.client.request('media:listProducers', {});
    assert.ok(listed.ok, JSON.stringify(listed));
    assert.deepEqual(
      listed.producers.map((p) => [p.participantId, p.kind]).sort(),
      [
        [guest.participantId, 'audio'],
        [member.participantId, 'video'],
      ].sort(),
    );
    assert.equal(watcher.client.events('media:newProducer').length, 2);
  });

  it('a host mutes a participant from the socket and an admin over HTTP; the participant is told and may unmute', async () => {
    const room = await rooms.create();
    const host = await room.join('Host', 'host');
    const alice = await room.join('Alice');
    const send = await transport(alice.client, 'send');
    const audio = await produce(alice, send, 'audio', opusRtpParameters());
    const video = await produce(alice, send, 'video', vp8RtpParameters());

    assert.equal(
      errorCode(
        await alice.client.request('media:muteParticipant', {
          participantId: host.participantId,
          kind: 'audio',
        }),
      ),
      'FORBIDDEN',
    );
    const told = alice.client.waitFor('media:producerPaused', (e) => e.producerId === audio);
    assert.ok(
      (
        await host.client.request('media:muteParticipant', {
          participantId: alice.participantId,
          kind: 'audio',
        })
      ).ok,
    );
    assert.deepEqual(await told, {
      producerId: audio,
      participantId: alice.participantId,
      byHost: true,
    });
    const listed = await host.client.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(listed.producers.find((p) => p.producerId === audio)?.paused, true);

    const res = await admin
      .post(`/api/v1/rooms/${room.id}/participants/${alice.participantId}/mute`, { kind: 'video' })
      .expect(200);
    assert.deepEqual(res.body, { producerIds: [video] });
    await alice.client.waitFor('media:producerPaused', (e) => e.producerId === video && e.byHost);
    const stats = await roomMedia(admin, room.id);
    assert.ok(
      stats.participants
        .find((p) => p.participantId === alice.participantId)
        ?.producers.every((p) => p.paused),
    );

    // A host sees the same over the socket; a participant may not.
    assert.equal(errorCode(await alice.client.request('media:roomStats', {})), 'FORBIDDEN');
    const fromSocket = await host.client.request('media:roomStats', {});
    assert.ok(fromSocket.ok);
    assert.equal(fromSocket.media.roomId, room.id);
    const aliceMedia = fromSocket.media.participants.find(
      (p) => p.participantId === alice.participantId,
    );
    assert.deepEqual(
      aliceMedia?.producers.map((p) => [p.id, p.kind, p.paused]).sort(),
      [
        [audio, 'audio', true],
        [video, 'video', true],
      ].sort(),
    );
    assert.deepEqual(fromSocket.media.totals, stats.totals);

    const resumed = host.client.waitFor('media:producerResumed', (e) => e.producerId === audio);
    assert.ok((await alice.client.request('media:resumeProducer', { producerId: audio })).ok);
    await resumed;

    await admin
      .post(`/api/v1/rooms/${room.id}/participants/${alice.participantId}/mute`, { kind: 'loud' })
      .expect(400);
    const notHere = await admin
      .post(`/api/v1/rooms/${room.id}/participants/00000000-0000-4000-8000-000000000000/mute`, {
        kind: 'audio',
      })
      .expect(404);
    assert.equal(notHere.body.error.code, 'PARTICIPANT_NOT_FOUND');
    const noRoom = await admin
      .get('/api/v1/rooms/00000000-0000-4000-8000-000000000000/media')
      .expect(404);
    assert.equal(noRoom.body.error.code, 'ROOM_NOT_FOUND');
  });

  it('closing a producer tells the room and closes its consumers', async () => {
    const room = await rooms.create();
    const alice = await room.join('Alice');
    const bob = await room.join('Bob');
    const audio = await produce(
      alice,
      await transport(alice.client, 'send'),
      'audio',
      opusRtpParameters(),
    );
    const consumer = await consumeAndResume(
      bob.client,
      await transport(bob.client, 'recv'),
      audio,
      await routerCapabilities(bob.client),
    );
    const closed = bob.client.waitFor('media:consumerClosed');
    assert.ok((await alice.client.request('media:closeProducer', { producerId: audio })).ok);
    assert.deepEqual(await closed, { consumerId: consumer.id, producerId: audio });
    assert.deepEqual((await roomMedia(admin, room.id)).totals, {
      transports: 2,
      producers: 0,
      consumers: 0,
    });
  });
});
