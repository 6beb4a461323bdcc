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
import { useRooms } from './support/room.js';
import { sleep } from './support/sockets.js';

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
  const rooms = useRooms(() => t);
  after(async () => {
    await sender?.stop();
    await browser?.close();
    await t?.close();
  });

  it('a browser connects over ICE + DTLS, sends camera and microphone, and receives an RTP sender through the SFU', async () => {
    const room = await rooms.create();
    // Alice is an RTP source (ffmpeg: opus + VP8) on plain transports.
    const alice = await room.join('Alice');
    const aliceCaller = callerOf(alice.client, alice);
    const audioIn = await plainTransport(t, aliceCaller, 'send');
    const videoIn = await plainTransport(t, aliceCaller, 'send');
    const produced = await Promise.all([
      alice.client.request('media:produce', {
        transportId: audioIn.id,
        kind: 'audio',
        rtpParameters: opusRtpParameters(),
      }),
      alice.client.request('media:produce', {
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
    const beaPerson = await room.join('Bea');
    const bea = await BrowserParticipant.open(browser, script, beaPerson.client);
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
        const m = await roomMedia(admin, room.id);
        const p = m.participants.find((x) => x.participantId === beaPerson.participantId);
        return p && p.producers.length === 2 && p.producers.every((x) => x.packetCount > 20)
          ? m
          : undefined;
      },
      'browser producers receiving',
      15_000,
    );
    const beaStats = media.participants.find((x) => x.participantId === beaPerson.participantId);
    // Chromium sends the audio-level header extension, so the speaker observer can pick it.
    const speaker = await alice.client.waitFor(
      'media:activeSpeaker',
      (e) => e.participantId === beaPerson.participantId,
      10_000,
    );
    assert.equal(speaker.participantId, beaPerson.participantId);

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
  });

  it('a browser sends simulcast video; another browser switches layers with media:setPreferredLayers and decodes the new size', async () => {
    const room = await rooms.create();
    const viewerToken = await room.issue('Viewer');
    const { client: camSocket } = await room.join('Cam');
    const cam = await BrowserParticipant.open(browser, script, camSocket);
    await cam.call('start');
    const producerId = await cam.call('sendSimulcastCamera');
    let since = Date.now();
    const elapsed = () => `${((Date.now() - since) / 1000).toFixed(1)} s`;

    // Chromium really encodes every layer (at 640x360 it would leave r2 unused).
    const sent = await eventually(
      async () => {
        const out = await cam.call('outboundVideo');
        return out.length === 3 && out.every((x) => x.framesEncoded > 0 && x.frameWidth > 0)
          ? out
          : undefined;
      },
      'three simulcast layers encoded',
      45_000,
    );
    const top = sent.length - 1;
    const sentAfter = elapsed();

    // A second browser (own page, token and socket) receives it.
    const viewerSocket = await rooms.connectAndJoin(viewerToken.token);
    const viewer = await BrowserParticipant.open(browser, script, viewerSocket);
    await viewer.call('start');
    const consumerId = await viewer.call('receive', producerId);
    const consumerStats = async () =>
      (await roomMedia(admin, room.id)).participants
        .find((p) => p.participantId === viewerToken.participantId)
        ?.consumers.find((c) => c.id === consumerId);
    const initial = await consumerStats();
    assert.equal(initial?.type, 'simulcast');
    assert.equal(initial.preferredLayers?.spatialLayer, top, 'mediasoup prefers the top layer');

    /**
     * Asks for `layer`, then waits until the SFU forwards it and the viewer decodes frames of
     * the size the sender encodes for that layer right now (compared live, not hard-coded).
     */
    const switchTo = async (layer: number) => {
      await viewer.call('setPreferredLayers', consumerId, layer);
      return eventually(
        async () => {
          const [c, seen, out] = await Promise.all([
            consumerStats(),
            viewer.call('inboundVideo', consumerId),
            cam.call('outboundVideo'),
          ]);
          return c?.preferredLayers?.spatialLayer === layer &&
            c.currentLayers?.spatialLayer === layer &&
            seen.frameWidth > 0 &&
            seen.frameWidth === out[layer]?.frameWidth &&
            seen.frameHeight === out[layer]?.frameHeight
            ? { layers: c.currentLayers, ...seen }
            : undefined;
        },
        `viewer decoding spatial layer ${layer}`,
        30_000,
      );
    };
    since = Date.now();
    const low = await switchTo(0);
    const lowAfter = elapsed();
    since = Date.now();
    const high = await switchTo(top);
    const highAfter = elapsed();
    assert.ok(
      low.frameWidth * 2 <= high.frameWidth && low.frameHeight < high.frameHeight,
      `low ${low.frameWidth}x${low.frameHeight}, top ${high.frameWidth}x${high.frameHeight}`,
    );
    // Still decoding after the switches, not a frozen last frame.
    const after = await eventually(
      async () => {
        const seen = await viewer.call('inboundVideo', consumerId);
        return seen.framesDecoded > high.framesDecoded + 10 ? seen : undefined;
      },
      'viewer keeps decoding the top layer',
      15_000,
    );
    assert.equal(after.frameWidth, high.frameWidth);

    const size = (x: { frameWidth: number; frameHeight: number }) =>
      `${x.frameWidth}x${x.frameHeight}`;
    console.log(
      `# simulcast sent ${sent.map((x) => `${x.rid} ${size(x)}`).join(', ')} (all after ${sentAfter}); ` +
        `viewer decoded layer ${low.layers.spatialLayer}/${low.layers.temporalLayer} at ${size(low)} ` +
        `(${lowAfter} after asking), layer ${high.layers.spatialLayer}/${high.layers.temporalLayer} ` +
        `at ${size(high)} (${highAfter} after asking)`,
    );
    await Promise.all([cam.page.close(), viewer.page.close()]);
  });
});
