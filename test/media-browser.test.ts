import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import {
  callerOf,
  eventually,
  MEDIA_TEST_ENV,
  opusRtpParameters,
  plainTransport,
  roomMedia,
  RtpSender,
  vp8RtpParameters,
} from './support/media.js';
import { BrowserParticipant, bundleMediaPage, launchChromium } from './support/media-browser.js';
import { connectAndJoin, sleep } from './support/sockets.js';

describe('media: WebRTC end to end in headless Chromium', () => {
  let t: TestApp;
  let admin: Admin;
  let browser: Browser;
  let script: string;
  let sender: RtpSender | undefined;
  before(async () => {
    [t, script] = await Promise.all([startApp(MEDIA_TEST_ENV), bundleMediaPage()]);
    admin = new Admin(t.url);
    browser = await launchChromium();
  });
  after(async () => {
    await sender?.stop();
    await browser?.close();
    await t?.close();
  });

  it('a browser connects over ICE + DTLS, sends camera and microphone, and receives an RTP sender through the SFU', async () => {
    const roomId = await admin.createRoom();
    // Alice is an RTP source (ffmpeg: opus + VP8) on plain transports.
    const aliceToken = await admin.issueToken(roomId, 'Alice');
    const alice = await connectAndJoin(t.url, aliceToken.token);
    const aliceCaller = callerOf(alice, { roomId, participantId: aliceToken.participantId });
    const audioIn = await plainTransport(t, aliceCaller, 'send');
    const videoIn = await plainTransport(t, aliceCaller, 'send');
    const produced = await Promise.all([
      alice.request('media:produce', {
        transportId: audioIn.id,
        kind: 'audio',
        rtpParameters: opusRtpParameters(),
      }),
      alice.request('media:produce', {
        transportId: videoIn.id,
        kind: 'video',
        rtpParameters: vp8RtpParameters(),
      }),
    ]);
    const aliceProducers = produced.map((ack) =>
      ack.ok ? ack.producerId : assert.fail(JSON.stringify(ack)),
    );
    sender = RtpSender.start({ audio: audioIn, video: videoIn });

    // Bea is a real WebRTC client: mediasoup-client in Chromium with fake devices.
    const beaToken = await admin.issueToken(roomId, 'Bea');
    const beaSocket = await connectAndJoin(t.url, beaToken.token);
    const bea = await BrowserParticipant.open(browser, script, beaSocket);
    await bea.call('start');
    const beaProducers = await bea.call('sendCameraAndMicrophone');
    assert.equal(beaProducers.length, 2);
    for (const producerId of aliceProducers) await bea.call('receive', producerId);

    const states = await eventually(
      async () => {
        const s = await bea.call('connectionStates');
        return s.send === 'connected' && s.recv === 'connected' ? s : undefined;
      },
      'both transports connected',
      15_000,
    );
    assert.deepEqual(states, { send: 'connected', recv: 'connected' });
    assert.deepEqual(await bea.call('dtlsStates'), ['connected', 'connected']);

    // The browser's own inbound-rtp counters grow, for audio and for video.
    const first = await eventually(
      async () => {
        const s = await bea.call('inbound');
        return s.length === 2 && s.every((x) => x.packetsReceived > 10) ? s : undefined;
      },
      'inbound RTP in the browser',
      15_000,
    );
    await sleep(1500);
    const second = await bea.call('inbound');
    for (const kind of ['audio', 'video']) {
      const [a, b] = [first.find((x) => x.kind === kind), second.find((x) => x.kind === kind)];
      assert.ok(
        a && b && b.bytesReceived > a.bytesReceived && b.packetsReceived > a.packetsReceived,
        `${kind}: ${JSON.stringify([a, b])}`,
      );
    }

    // The server sees the browser's producers receiving RTP.
    const media = await eventually(
      async () => {
        const m = await roomMedia(admin, roomId);
        const p = m.participants.find((x) => x.participantId === beaToken.participantId);
        return p && p.producers.length === 2 && p.producers.every((x) => x.packetCount > 20)
          ? m
          : undefined;
      },
      'browser producers receiving',
      15_000,
    );
    const beaStats = media.participants.find((x) => x.participantId === beaToken.participantId);
    // Chromium sends the audio-level header extension, so the speaker observer can pick it.
    const speaker = await alice.waitFor(
      'media:activeSpeaker',
      (e) => e.participantId === beaToken.participantId,
      10_000,
    );
    assert.equal(speaker.participantId, beaToken.participantId);

    const summary = (
      xs: {
        kind: string;
        packetsReceived?: number;
        packetCount?: number;
        bytesReceived?: number;
        byteCount?: number;
      }[],
    ) =>
      xs
        .map(
          (x) =>
            `${x.kind} ${x.packetsReceived ?? x.packetCount} packets / ${x.bytesReceived ?? x.byteCount} bytes`,
        )
        .join(', ');
    console.log(
      `# browser inbound-rtp: ${summary(second)}; browser producers at the SFU: ${summary(beaStats?.producers ?? [])}`,
    );
    await bea.page.close();
    beaSocket.close();
    alice.close();
  });
});
