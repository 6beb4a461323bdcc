import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { expectAccessible } from './support/accessibility.js';
import { BrowserUser, eventually, launchBrowser, type PageMedia } from './support/browser.js';

/** Media on loopback with one worker, in this file's own port range. */
const DEVICES_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '42300',
  CONVENE_RTC_MAX_PORT: '42319',
  CONVENE_ROOM_GRACE_SECONDS: '0',
};

/**
 * Runs in every page before the app. Chromium's fake cameras (`device-count=3`) are an ordinary
 * one (fake_device_0), a 16-bit depth camera no video encoder takes (fake_device_1: it shows
 * locally and sends nothing) and an MJPEG one (fake_device_2): the depth camera is hidden, so the
 * page sees two ordinary cameras, as in most offices.
 */
function twoOrdinaryCameras(): void {
  const devices = navigator.mediaDevices;
  const enumerate = devices.enumerateDevices.bind(devices);
  devices.enumerateDevices = async () =>
    (await enumerate()).filter((d) => d.label !== 'fake_device_1');
}

/**
 * Runs in the page before the app: the camera is "held by another app" (NotReadableError, as
 * Chromium says when a camera is in use) while `window.cameraBusy` is true.
 */
function cameraHeldByAnotherApp(): void {
  const w = window as unknown as { cameraBusy: boolean };
  w.cameraBusy = true;
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints?: MediaStreamConstraints) =>
    w.cameraBusy && constraints?.video
      ? Promise.reject(new DOMException('Could not start video source', 'NotReadableError'))
      : original(constraints);
}

/** Ends the camera track the page sends, as an unplugged camera does (stop() alone fires no `ended`). */
async function unplugCamera(user: BrowserUser, selfId: string): Promise<string> {
  return user.page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(
      `figure[data-participant-id="${id}"] video`,
    );
    const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    if (!track) throw new Error('no local camera track');
    track.stop();
    track.dispatchEvent(new Event('ended'));
    return track.label;
  }, selfId);
}

/** The label of the camera the page shows as its own. */
function ownCameraLabel(user: BrowserUser, selfId: string): Promise<string | undefined> {
  return user.page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(
      `figure[data-participant-id="${id}"] video`,
    );
    const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    return track?.readyState === 'live' ? track.label : undefined;
  }, selfId);
}

const sendId = (m: PageMedia) => m.transports.find((x) => x.direction === 'send')?.id;

/** The video frames `user` decoded so far (all inbound video). */
async function framesDecoded(user: BrowserUser): Promise<number> {
  const stats = await user.inboundStats();
  return stats.filter((s) => s.kind === 'video').reduce((n, s) => n + s.framesDecoded, 0);
}

describe('devices during the call, in Chromium with fake devices', () => {
  let t: TestApp;
  let admin: Admin;
  let browser: Browser;
  const cleanups: (() => Promise<unknown>)[] = [];

  /** Two people in a new room, in the room; `init` runs in the first one's page. */
  const twoInRoom = async (...init: (() => void)[]) => {
    const roomId = await admin.createRoom({ name: 'Device check' });
    const [a, b] = await Promise.all([
      admin.issueToken(roomId, 'Ada Camera'),
      admin.issueToken(roomId, 'Ben Viewer'),
    ]);
    const ada = await BrowserUser.open(browser, t.url, 'ada', a.token, undefined, {
      init: [twoOrdinaryCameras, ...init],
    });
    cleanups.push(() => ada.close());
    const ben = await BrowserUser.open(browser, t.url, 'ben', b.token, undefined, {
      init: [twoOrdinaryCameras],
    });
    cleanups.push(() => ben.close());
    await ada.join();
    await ben.join();
    return { ada, adaId: a.participantId, ben, benId: b.participantId };
  };

  const openSettings = async (user: BrowserUser) => {
    await user.page.getByRole('button', { name: /^Settings/ }).click();
    await user.page.getByRole('heading', { name: 'Settings' }).waitFor();
  };

  before(async () => {
    t = await startApp(DEVICES_TEST_ENV);
    admin = new Admin(t.url);
    browser = await launchBrowser('granted', { cameras: 3 });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('switching the camera in Settings replaces the track on the same producer and transport; the other person keeps decoding', async () => {
    const { ada, adaId, ben } = await twoInRoom();
    await ben.waitForPlayingVideo(adaId);
    const before = await eventually(async () => {
      const m = await ada.media();
      return m.producers.video && m.transports.some((x) => x.direction === 'send') ? m : undefined;
    }, 'ada sends video');
    assert.equal(await ownCameraLabel(ada, adaId), 'fake_device_0');

    await openSettings(ada);
    const camera = ada.page.locator('#settings-camera');
    assert.deepEqual(await camera.locator('option').allTextContents(), [
      'fake_device_0',
      'fake_device_2',
    ]);
    assert.equal((await ada.page.locator('#settings-microphone option').count()) >= 1, true);
    assert.equal((await ada.page.locator('#settings-speaker option').count()) >= 1, true);
    await expectAccessible(ada.page, 'settings panel', '#settings-panel');
    await ada.screenshot('settings-panel.png');

    const decodedBefore = await framesDecoded(ben);
    await camera.selectOption({ label: 'fake_device_2' });
    await eventually(
      async () => ((await ownCameraLabel(ada, adaId)) === 'fake_device_2' ? true : undefined),
      'ada shows fake_device_2',
    );
    const afterSwitch = await ada.media();
    assert.equal(afterSwitch.producers.video, before.producers.video, 'same producer');
    assert.equal(sendId(afterSwitch), sendId(before), 'same send transport');
    assert.deepEqual(
      afterSwitch.transports.map((x) => x.id).sort(),
      before.transports.map((x) => x.id).sort(),
      'no new transport',
    );
    // Ben still receives Ada's video: the frames he decodes keep growing, on the same consumer.
    await eventually(
      async () => ((await framesDecoded(ben)) > decodedBefore + 40 ? true : undefined),
      'ben keeps decoding ada after the switch',
      20_000,
    );
    await ben.waitForPlayingVideo(adaId);
    assert.equal(
      await camera.inputValue(),
      await ada.page.evaluate(async () => {
        const all = await navigator.mediaDevices.enumerateDevices();
        return all.find((d) => d.label === 'fake_device_2')?.deviceId;
      }),
    );

    // The microphone switches the same way (its producer stays).
    const mic = ada.page.locator('#settings-microphone');
    const mics = await mic.locator('option').allTextContents();
    const other = mics.find((label) => label !== mics[0]);
    assert.ok(other, `a second microphone among ${mics.join(', ')}`);
    await mic.selectOption({ label: other });
    await eventually(async () => {
      const m = await ada.media();
      return m.producers.audio === before.producers.audio &&
        (await mic.inputValue()) !== '' &&
        (await ada.page.evaluate((id) => {
          const v = document.querySelector<HTMLVideoElement>(
            `figure[data-participant-id="${id}"] video`,
          );
          return (v?.srcObject as MediaStream | null)?.getAudioTracks()[0]?.label;
        }, adaId)) === other
        ? true
        : undefined;
    }, 'ada sends the other microphone on the same producer');
    assert.deepEqual(ada.consoleErrors, []);
  });

  it('a camera held by another app is named in the room with the reason; Try again starts it and the other person sees the video', async () => {
    const { ada, adaId, ben } = await twoInRoom(cameraHeldByAnotherApp);
    // In the room: a notice says which device and why, and the Settings button says it too.
    await ada.page
      .locator('.toast', { hasText: 'Camera in use by another app, or not responding' })
      .waitFor();
    const settings = ada.page.getByRole('button', { name: 'Settings, a device is not working' });
    await settings.waitFor();
    assert.equal(
      await ada.page.getByRole('button', { name: 'Turn on camera' }).isDisabled(),
      true,
      'nothing to send yet',
    );
    assert.equal(await ben.videoOf(adaId), null, 'ben sees no video from ada');

    await ada.page.locator('.toast').getByRole('button', { name: 'Open settings' }).click();
    await ada.page.getByRole('heading', { name: 'Settings' }).waitFor();
    const problem = ada.page.locator('#settings-camera-problem');
    await problem.waitFor();
    assert.match(await problem.innerText(), /Camera in use by another app.*Try again/s);
    await expectAccessible(ada.page, 'settings panel with a device problem', '#settings-panel');
    await ada.screenshot('settings-device-problem.png');

    // Still held: Try again says so again, nothing else changes.
    const retry = ada.page.getByRole('button', { name: 'Try again: camera' });
    await retry.click();
    await eventually(async () => ((await retry.isEnabled()) ? true : undefined), 'retry done');
    assert.equal(await problem.isVisible(), true);

    // The other app let go: Try again starts the camera and Ben sees it.
    await ada.page.evaluate(() => {
      (window as unknown as { cameraBusy: boolean }).cameraBusy = false;
    });
    await retry.click();
    await ada.page.locator('.toast', { hasText: 'Your camera is working now.' }).waitFor();
    await problem.waitFor({ state: 'hidden' });
    await ada.page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
    await ada.page.getByRole('button', { name: 'Turn off camera' }).waitFor();
    const seen = await ben.waitForPlayingVideo(adaId);
    assert.ok(seen.width > 0);

    // Unplugged while every other camera is held too: the camera stops for everyone, and says so.
    await ada.page.evaluate(() => {
      (window as unknown as { cameraBusy: boolean }).cameraBusy = true;
    });
    const label = await unplugCamera(ada, adaId);
    await ada.page
      .locator('.toast', {
        hasText: `${label} stopped working and no other camera could be started`,
      })
      .waitFor();
    await eventually(
      async () => ((await ben.videoOf(adaId)) === null ? true : undefined),
      'ben no longer shows video from ada',
    );
    await ada.page.getByRole('button', { name: 'Settings, a device is not working' }).waitFor();
    assert.deepEqual(ada.consoleErrors, []);
  });

  it('when the camera in use ends (unplugged), another camera takes over on the same producer, with a notice', async () => {
    const { ada, adaId, ben } = await twoInRoom();
    await ben.waitForPlayingVideo(adaId);
    const before = await ada.media();
    const label = await unplugCamera(ada, adaId);
    assert.equal(label, 'fake_device_0');
    await ada.page
      .locator('.toast', {
        hasText: 'fake_device_0 stopped working, so the meeting now uses fake_device_2.',
      })
      .waitFor();
    assert.equal(await ownCameraLabel(ada, adaId), 'fake_device_2');
    const afterFallback = await ada.media();
    assert.equal(afterFallback.producers.video, before.producers.video, 'same producer');
    assert.deepEqual(
      afterFallback.transports.map((x) => x.id).sort(),
      before.transports.map((x) => x.id).sort(),
    );
    const decoded = await framesDecoded(ben);
    await eventually(
      async () => ((await framesDecoded(ben)) > decoded + 40 ? true : undefined),
      'ben keeps decoding ada after the fallback',
      20_000,
    );
    assert.deepEqual(ada.consoleErrors, []);
  });
});
