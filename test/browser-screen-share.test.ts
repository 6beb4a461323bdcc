import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';

import type { RoomMediaStats } from '../src/protocol/events.js';
import { expectAccessible } from './support/accessibility.js';
import type { Admin } from './support/admin.js';
import { useBrowserApp } from './support/browser-app.js';
import { eventually } from './support/browser.js';

/** Media on loopback with one worker; this file's own port range. */
const ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '42100',
  CONVENE_RTC_MAX_PORT: '42199',
  CONVENE_ROOM_GRACE_SECONDS: '0',
};

/** Where a person's screen share shows (their own preview, or someone else's view of it). */
const shareTile = (page: Page, participantId: string) =>
  page.locator(`figure.tile-share[data-share-of="${participantId}"]`);

/** The share tile's video: its size and playback position (null while there is no tile). */
function shareVideo(page: Page, participantId: string) {
  return page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(
      `figure.tile-share[data-share-of="${id}"] video`,
    );
    if (!video) return null;
    return { width: video.videoWidth, time: video.currentTime, paused: video.paused };
  }, participantId);
}

/** Waits until the share's video has a size and its time advances. */
async function sharePlaying(page: Page, participantId: string) {
  const first = await eventually(async () => {
    const v = await shareVideo(page, participantId);
    return v && v.width > 0 && !v.paused ? v : undefined;
  }, 'the share has a picture');
  return eventually(async () => {
    const v = await shareVideo(page, participantId);
    return v && v.time > first.time + 0.2 ? v : undefined;
  }, 'the share plays (its time advances)');
}

/** The participant's producers' sources as the server sees them. */
async function sourcesOnServer(admin: Admin, roomId: string, participantId: string) {
  const media = (await admin.get(`/api/v1/rooms/${roomId}/media`).expect(200))
    .body as RoomMediaStats;
  return (media.participants.find((p) => p.participantId === participantId)?.producers ?? [])
    .map((p) => p.source)
    .sort();
}

describe('web client in Chromium: screen sharing', () => {
  const web = useBrowserApp(ENV);

  it("a share is a large playing tile with the sharer's name for the others; the browser's stop ends it; a host stops someone's share; only hosts when the room says so", async () => {
    const roomId = await web.admin.createRoom({ name: 'Design review' });
    const hostToken = await web.admin.issueToken(roomId, 'Alice Host', 'host');
    const bobToken = await web.admin.issueToken(roomId, 'Bob Builder');
    const alice = await web.open('alice', hostToken.token);
    const bob = await web.open('bob', bobToken.token);
    await alice.join();
    await bob.join();
    const aliceId = hostToken.participantId;
    const bobId = bobToken.participantId;

    // Alice shares (Chromium's fake screen, 1280x720, and its sound).
    await alice.page.getByRole('button', { name: /^Share screen/ }).click();
    await alice.page.getByRole('button', { name: /^Stop sharing/ }).waitFor();
    // The picture and its sound are two producers, made one after the other: wait for both.
    const sources = await eventually(async () => {
      const now = await sourcesOnServer(web.admin, roomId, aliceId);
      return now.includes('screen') && now.includes('screen-audio') ? now : undefined;
    }, 'the share (picture and sound) reaches the server');
    assert.deepEqual(sources, ['camera', 'microphone', 'screen', 'screen-audio']);

    // Bob sees it as its own large tile, with her name, playing; her camera keeps its own tile.
    const tile = shareTile(bob.page, aliceId);
    await tile.waitFor();
    assert.equal(
      (await tile.locator('.tile-name').textContent())?.trim(),
      'Alice Host is presenting',
    );
    assert.match((await tile.getAttribute('class')) ?? '', /is-main/);
    const playing = await sharePlaying(bob.page, aliceId);
    assert.equal(playing.width, 1280);
    await bob.page.locator(`figure.tile[data-participant-id="${aliceId}"]`).waitFor();
    const box = await tile.boundingBox();
    const cameraBox = await bob.page
      .locator(`figure.tile[data-participant-id="${aliceId}"]`)
      .boundingBox();
    assert.ok(box && cameraBox && box.width > 2 * cameraBox.width, 'the share is the large tile');
    // Its video is received for its own tile, not for Alice's camera tile.
    const demand = await bob.page.evaluate(() =>
      (
        window as unknown as {
          conveneDebug: { videoDemand(): { tile: string; paused: boolean }[] };
        }
      ).conveneDebug.videoDemand(),
    );
    assert.ok(
      demand.some((d) => d.tile === `screen:${aliceId}` && !d.paused),
      JSON.stringify(demand),
    );
    await expectAccessible(bob.page, 'room with a screen share shown');
    await expectAccessible(alice.page, 'room while sharing the screen');
    await bob.page.screenshot({ path: '/tmp/h1-share.png' });
    await bob.screenshot('screen-share-viewer.png');

    // The browser's own "Stop sharing" ends the captured track: the share ends for everyone.
    await alice.page.evaluate((id) => {
      const video = document.querySelector<HTMLVideoElement>(
        `figure.tile-share[data-share-of="${id}"] video`,
      );
      const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track) throw new Error('no share track');
      track.stop();
      track.dispatchEvent(new Event('ended'));
    }, aliceId);
    await tile.waitFor({ state: 'detached' });
    await alice.page.getByRole('button', { name: /^Share screen/ }).waitFor();
    await eventually(
      async () =>
        (await sourcesOnServer(web.admin, roomId, aliceId)).join() === 'camera,microphone'
          ? true
          : undefined,
      'the share is closed on the server',
    );

    // Bob shares; Alice, a host, stops it from its tile: Bob is told and may share again.
    await bob.page.getByRole('button', { name: /^Share screen/ }).click();
    const bobsShare = shareTile(alice.page, bobId);
    await bobsShare.waitFor();
    await sharePlaying(alice.page, bobId);
    assert.equal(await shareTile(bob.page, bobId).getByRole('button').count(), 0);
    await bobsShare.getByRole('button', { name: 'Stop share of Bob Builder' }).click();
    await bob.page.getByText('A host stopped your screen share.').waitFor();
    await bob.page.getByRole('button', { name: /^Share screen/ }).waitFor();
    await bobsShare.waitFor({ state: 'detached' });
    assert.deepEqual(await sourcesOnServer(web.admin, roomId, bobId), ['camera', 'microphone']);

    // The room now lets only hosts share: Bob's button says why and shares nothing.
    await web.admin.patch(`/api/v1/rooms/${roomId}`, { screenShare: 'hosts' }).expect(200);
    const refused = bob.page.getByRole('button', { name: /^Share screen: not available/ });
    await refused.waitFor();
    assert.equal(await refused.getAttribute('aria-disabled'), 'true');
    assert.match((await refused.getAttribute('aria-label')) ?? '', /Only hosts can share/);
    await refused.click({ force: true });
    await bob.page.getByText('Only hosts can share their screen in this room.').first().waitFor();
    assert.deepEqual(await sourcesOnServer(web.admin, roomId, bobId), ['camera', 'microphone']);
    await expectAccessible(bob.page, 'room where only hosts may share');

    assert.deepEqual(
      [...alice.consoleErrors, ...bob.consoleErrors].filter((e) => !/favicon/.test(e)),
      [],
    );
  });
});
