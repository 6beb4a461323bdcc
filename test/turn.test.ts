import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { turnCredential } from '../src/media/ice-servers.js';
import type { IceServer } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { BrowserUser, eventually, launchBrowser } from './support/browser.js';
import { Coturn, hasTurnserver, TURNSERVER_PATH } from './support/coturn.js';
import { useRooms } from './support/room.js';

const SECRET = 'turn-rest-secret-for-tests-0123456789abcdef';
const TURN_PORT = 42340;

/** mediasoup on loopback in this file's ports; TURN credentials for coturn on 127.0.0.1. */
const TURN_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '42320',
  CONVENE_RTC_MAX_PORT: '42339',
  CONVENE_ROOM_GRACE_SECONDS: '0',
  CONVENE_TURN_SECRET: SECRET,
  CONVENE_TURN_URLS: `turn:127.0.0.1:${TURN_PORT}?transport=udp`,
  CONVENE_TURN_TTL_SECONDS: '600',
  CONVENE_ICE_SERVERS: '[{"urls":"stun:127.0.0.1:42340"}]',
};

interface Gathered {
  candidateTypes: string[];
  errors: { errorCode: number; errorText: string }[];
}

/** What a browser gathers with only these ICE servers and relay candidates allowed. */
function gatherRelay(page: Page, iceServers: IceServer[]): Promise<Gathered> {
  return page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    const candidateTypes: string[] = [];
    const errors: { errorCode: number; errorText: string }[] = [];
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate?.type) candidateTypes.push(e.candidate.type);
    });
    pc.addEventListener('icecandidateerror', (e) =>
      errors.push({ errorCode: e.errorCode, errorText: e.errorText }),
    );
    pc.createDataChannel('probe');
    const complete = new Promise<void>((resolve) =>
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      }),
    );
    await pc.setLocalDescription();
    await Promise.race([complete, new Promise((r) => setTimeout(r, 10_000))]);
    pc.close();
    return { candidateTypes, errors };
  }, iceServers);
}

describe(
  'TURN through a real coturn (use-auth-secret), Chromium forced to relay',
  {
    skip: hasTurnserver()
      ? false
      : `${TURNSERVER_PATH} not found: install the Debian package coturn to run the TURN tests`,
  },
  () => {
    let t: TestApp;
    let admin: Admin;
    let browser: Browser;
    let coturn: Coturn;
    const cleanups: (() => Promise<unknown>)[] = [];
    before(async () => {
      coturn = await Coturn.start({
        secret: SECRET,
        realm: 'convene.test',
        port: TURN_PORT,
        minPort: 42350,
        maxPort: 42399,
      });
      t = await startApp(TURN_TEST_ENV);
      admin = new Admin(t.url);
      browser = await launchBrowser();
    });
    const rooms = useRooms(() => t);
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    after(async () => {
      await browser?.close();
      await t?.close();
      await coturn?.stop();
    });

    it('each transport ack carries the configured servers and a TURN credential for the caller that expires after the TTL', async () => {
      const room = await rooms.create();
      const ada = await room.join('Ada');
      const ben = await room.join('Ben');
      const now = Math.floor(Date.now() / 1000);
      const ack = await ada.client.request('media:createTransport', { direction: 'recv' });
      assert.ok(ack.ok, JSON.stringify(ack));
      assert.deepEqual(ack.iceServers[0], { urls: 'stun:127.0.0.1:42340' });
      const turn = ack.iceServers[1];
      assert.deepEqual(turn?.urls, [`turn:127.0.0.1:${TURN_PORT}?transport=udp`]);
      const [expiry, participantId] = (turn?.username ?? '').split(':');
      assert.equal(participantId, ada.participantId, 'the username names the caller');
      assert.ok(
        Math.abs(Number(expiry) - (now + 600)) <= 5,
        `expires in the TTL (${expiry} vs ${now + 600})`,
      );
      assert.equal(
        turn?.credential,
        turnCredential(SECRET, ada.participantId, Number(expiry)).credential,
      );
      const other = await ben.client.request('media:createTransport', { direction: 'recv' });
      assert.ok(other.ok);
      assert.match(other.iceServers[1]?.username ?? '', new RegExp(`:${ben.participantId}$`));
    });

    it('coturn allocates for the issued credential and refuses one made with another secret, or expired', async () => {
      const page = await browser.newPage();
      cleanups.push(() => page.close());
      const urls = [`turn:127.0.0.1:${TURN_PORT}?transport=udp`];
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const good = turnCredential(SECRET, 'probe-good', expiresAt);
      const allowed = await gatherRelay(page, [{ urls, ...good }]);
      assert.ok(allowed.candidateTypes.includes('relay'), JSON.stringify(allowed));

      const forged = turnCredential(
        'another-secret-of-the-same-length-000000',
        'probe-forged',
        expiresAt,
      );
      const refused = await gatherRelay(page, [{ urls, ...forged }]);
      assert.deepEqual(refused.candidateTypes, [], 'no relay candidate with a forged credential');
      assert.ok(
        refused.errors.some((e) => e.errorCode === 401),
        `the browser is told 401: ${JSON.stringify(refused.errors)}`,
      );

      const expired = turnCredential(SECRET, 'probe-expired', Math.floor(Date.now() / 1000) - 60);
      const late = await gatherRelay(page, [{ urls, ...expired }]);
      assert.deepEqual(late.candidateTypes, [], 'no relay candidate with an expired credential');

      // coturn's own account: an allocation for the good username, none for the others.
      const success = coturn.logged(/ALLOCATE processed, success/);
      assert.ok(
        success.some((l) => l.includes(good.username)),
        success.join('\n'),
      );
      for (const username of [forged.username, expired.username])
        assert.ok(
          !success.some((l) => l.includes(username)),
          `${username} got no allocation:\n${coturn.logged(new RegExp(username)).join('\n')}`,
        );
    });

    it('two people forced to relay see each other: the selected pairs are relay candidates and video frames decode', async () => {
      const roomId = await admin.createRoom({ name: 'Behind the firewall' });
      const [a, b] = await Promise.all([
        admin.issueToken(roomId, 'Ada Relay'),
        admin.issueToken(roomId, 'Ben Relay'),
      ]);
      const ada = await BrowserUser.open(browser, t.url, 'ada', a.token, undefined, {
        hash: 'relay=1',
      });
      cleanups.push(() => ada.close());
      const ben = await BrowserUser.open(browser, t.url, 'ben', b.token, undefined, {
        hash: 'relay=1',
      });
      cleanups.push(() => ben.close());
      await ada.join();
      await ben.join();
      // The option survives the token leaving the address bar (a reload keeps it).
      assert.match(ada.page.url(), /#debug=1&relay=1$/);

      await ben.waitForPlayingVideo(a.participantId, 30_000);
      await ada.waitForPlayingVideo(b.participantId, 30_000);
      const decoded = async (user: BrowserUser) =>
        (await user.inboundStats())
          .filter((s) => s.kind === 'video')
          .reduce((n, s) => n + s.framesDecoded, 0);
      const first = await decoded(ben);
      await eventually(
        async () => ((await decoded(ben)) > first + 30 ? true : undefined),
        'ben keeps decoding frames relayed through TURN',
        20_000,
      );

      for (const user of [ada, ben]) {
        const media = await eventually(async () => {
          const m = await user.media();
          return m.transports.length === 2 && m.transports.every((x) => x.localCandidateType)
            ? m
            : undefined;
        }, `${user.name}: both transports have a selected pair`);
        for (const transport of media.transports)
          assert.equal(
            transport.localCandidateType,
            'relay',
            `${user.name} ${transport.direction}: ${JSON.stringify(transport)}`,
          );
      }

      // coturn allocated for each person, under the username the server issued to them.
      for (const id of [a.participantId, b.participantId])
        assert.ok(
          coturn.logged(/ALLOCATE processed, success/).some((l) => l.includes(`:${id}`)),
          `an allocation for ${id}:\n${coturn.logged(/ALLOCATE/).join('\n')}`,
        );
      const permissions = coturn.logged(/CREATE_PERMISSION processed, success/);
      assert.ok(permissions.length >= 2, 'permissions towards the SFU were created');
      assert.deepEqual(ada.consoleErrors, []);
      assert.deepEqual(ben.consoleErrors, []);
      console.log(
        `# through TURN: ${coturn.logged(/ALLOCATE processed, success/).length} allocations, ben decoded ${await decoded(ben)} video frames`,
      );
    });
  },
);
