import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConsumerStats, RoomMediaStats } from '../src/protocol/events.js';
import type { ConveneDebug } from '../client/src/debug.js';
import { layerForHeight } from '../client/src/ui/stage-layout.js';
import { expectAccessible } from './support/accessibility.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { BrowserUser, eventually, launchBrowser } from './support/browser.js';
import {
  callerOf,
  opusRtpParameters,
  plainTransport,
  roomMedia,
  vp8RtpParameters,
} from './support/media.js';
import { useRooms } from './support/room.js';
import { RtpFanout } from './support/rtp-fanout.js';

/** One worker and this file's own RTC ports (two cores for two browsers, ffmpeg and the server). */
const LAYOUT_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '42400',
  CONVENE_RTC_MAX_PORT: '42499',
  CONVENE_ROOM_GRACE_SECONDS: '0',
};

/** People sending from ffmpeg: more than one grid page holds with the two browsers. */
const CAMERAS = 10;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The participant ids of the tiles on screen, in order, and each tile's box. */
async function shownTiles(page: Page): Promise<{ id: string; box: Box }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('figure.tile:not([hidden])')]
      .map((el) => {
        const r = el.getBoundingClientRect();
        return {
          id: el.dataset.participantId ?? '',
          order: Number(el.style.order),
          box: { x: r.x, y: r.y, width: r.width, height: r.height },
        };
      })
      .sort((a, b) => a.order - b.order)
      .map(({ id, box }) => ({ id, box })),
  );
}

describe('web client: layouts, paging and what is received (Chromium, ffmpeg senders)', () => {
  let t: TestApp;
  let admin: Admin;
  let browser: Browser;
  let fanout: RtpFanout | undefined;
  const users: BrowserUser[] = [];
  before(async () => {
    t = await startApp(LAYOUT_TEST_ENV);
    admin = new Admin(t.url);
    browser = await launchBrowser();
  });
  const rooms = useRooms(() => t);
  after(async () => {
    await fanout?.stop();
    for (const user of users) await user.close();
    await browser?.close();
    await t?.close();
  });

  it('receives video only for the tiles on the page, follows the page and the layout, keeps all audio, and stacks notices clear of the tiles', async () => {
    const room = await rooms.create({ name: 'Town hall' });
    // Sam comes first and sends simulcast from the web client; Vera (last) watches.
    const samToken = await admin.issueToken(room.id, 'Sam Speaker');
    const sam = await BrowserUser.open(browser, t.url, 'Sam', samToken.token);
    users.push(sam);
    await sam.join();
    // Ten people send a tone and a test pattern from one ffmpeg, each on plain transports.
    const cameras = [];
    const targets: Parameters<typeof RtpFanout.start>[0] = { audio: [], video: [] };
    for (let i = 1; i <= CAMERAS; i++) {
      const person = await room.join(`Zz Camera ${String(i).padStart(2, '0')}`);
      const caller = callerOf(person.client, person);
      const audioIn = await plainTransport(t, caller, 'send');
      const videoIn = await plainTransport(t, caller, 'send');
      for (const [transportId, kind, rtpParameters] of [
        [audioIn.id, 'audio', opusRtpParameters()],
        [videoIn.id, 'video', vp8RtpParameters()],
      ] as const) {
        const ack = await person.client.request('media:produce', {
          transportId,
          kind,
          rtpParameters,
        });
        assert.ok(ack.ok, JSON.stringify(ack));
      }
      targets.audio.push(audioIn);
      targets.video.push(videoIn);
      cameras.push(person);
    }
    fanout = RtpFanout.start(targets);

    // Twelve tiles: more than a page.
    const veraToken = await admin.issueToken(room.id, 'Vera Viewer');
    const vera = await BrowserUser.open(browser, t.url, 'Vera', veraToken.token);
    users.push(vera);
    await vera.join();
    const page = vera.page;
    const samId = samToken.participantId;
    const veraId = veraToken.participantId;

    /** Vera's consumers at the SFU, by whose producer they are and kind. */
    const veraConsumers = async () => {
      const media: RoomMediaStats = await roomMedia(admin, room.id);
      const owner = new Map<string, string>();
      for (const p of media.participants)
        for (const producer of p.producers) owner.set(producer.id, p.participantId);
      const mine = media.participants.find((p) => p.participantId === veraId)?.consumers ?? [];
      return mine.map((c) => ({ ...c, from: owner.get(c.producerId) ?? '?' }));
    };
    type Consumed = ConsumerStats & { from: string };
    const everyone = [samId, ...cameras.map((c) => c.participantId)];
    /** Resumed video consumers at the SFU are exactly those of the tiles shown; every audio plays. */
    const receivesOnlyShown = (what: string) =>
      eventually(
        async () => {
          const shown = new Set((await shownTiles(page)).map((tile) => tile.id));
          const consumers: Consumed[] = await veraConsumers();
          const video = consumers.filter((c) => c.kind === 'video');
          const audio = consumers.filter((c) => c.kind === 'audio');
          if (video.length !== everyone.length || audio.length !== everyone.length) return;
          const resumed = video.filter((c) => !c.paused).map((c) => c.from);
          const expected = everyone.filter((id) => shown.has(id));
          if (resumed.sort().join() !== expected.sort().join()) return;
          if (audio.some((c) => c.paused)) return;
          return { shown, video };
        },
        `Vera to receive video only for the tiles shown (${what})`,
        20_000,
      );

    // Grid, page 1 of 2: Vera, then the first eight others in the order they came.
    await page.getByRole('button', { name: 'Next page ›' }).waitFor();
    assert.equal(await page.locator('.pager-status').innerText(), 'Page 1 of 2');
    const first = await receivesOnlyShown('grid, page 1');
    assert.equal(first.shown.size, 9);
    assert.ok(first.shown.has(veraId) && first.shown.has(samId));
    const pausedOnFirst = first.video.filter((c) => c.paused).map((c) => c.from);
    assert.equal(pausedOnFirst.length, 3, 'three people are on page 2: their video is paused');
    // Their sound plays all the same: the hidden tiles' audio elements play a live track.
    const hiddenAudio = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLAudioElement>('figure.tile[hidden] audio')].map(
        (a) =>
          !a.paused &&
          a.srcObject instanceof MediaStream &&
          a.srcObject.getAudioTracks().some((track) => track.readyState === 'live'),
      ),
    );
    assert.deepEqual(hiddenAudio, [true, true, true]);
    // Forwarded bytes say the same: paused consumers get nothing from the SFU.
    const bytes = async () =>
      new Map((await veraConsumers()).map((c) => [c.id, c.byteCount] as const));
    // Over at least 1.5 s and until every shown one has grown (the ffmpeg senders may lag on a
    // busy machine), none of the paused ones grows.
    const before = await bytes();
    const since = Date.now();
    const later = await eventually(async () => {
      const now = await bytes();
      const shownGrew = first.video
        .filter((c) => !c.paused)
        .every((c) => (now.get(c.id) ?? 0) > (before.get(c.id) ?? 0));
      return shownGrew && Date.now() - since >= 1500 ? now : undefined;
    }, 'video forwarded for every tile shown');
    for (const c of first.video) {
      const grew = (later.get(c.id) ?? 0) > (before.get(c.id) ?? 0);
      assert.equal(grew, !c.paused, `video from ${c.from}: forwarded only when shown`);
    }
    await vera.waitForPlayingVideo(samId);
    await vera.screenshot('layout-grid-page1.png');
    await expectAccessible(page, 'room, grid with pages');

    // The preferred layer follows the tile's size: a grid tile of nine is small.
    const samTile = (await shownTiles(page)).find((tile) => tile.id === samId);
    assert.ok(samTile);
    const gridLayer = layerForHeight(samTile.box.height, 2);
    const samConsumer = async () =>
      (await veraConsumers()).find((c) => c.from === samId && c.kind === 'video');
    const atLayer = (layer: number, what: string) =>
      eventually(async () => {
        const c = await samConsumer();
        return c?.type === 'simulcast' && c.preferredLayers?.spatialLayer === layer ? c : undefined;
      }, `Sam's video at Vera to prefer layer ${layer} (${what})`);
    await atLayer(gridLayer, `grid tile ${samTile.box.height}px high`);
    assert.equal(gridLayer, 0, `a tile ${samTile.box.height}px high takes the lowest layer`);

    // Page 2: the other three are received, page 1's people are paused. By keyboard.
    await page.getByRole('button', { name: 'Next page ›' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Page 2 of 2').waitFor();
    const second = await receivesOnlyShown('grid, page 2');
    assert.equal(second.shown.size, 3);
    assert.deepEqual(
      [...second.shown].sort(),
      [...pausedOnFirst].sort(),
      'page 2 shows those page 1 did not',
    );
    assert.equal(
      (await vera.focused()).name,
      'Next page ›',
      'the focus stays on the button at the last page',
    );
    // Resumed, their video plays (the SFU asks the sender for a keyframe on resume).
    for (const id of pausedOnFirst) await vera.waitForPlayingVideo(id);
    await vera.screenshot('layout-grid-page2.png');
    // Page Up anywhere on the stage goes back.
    await page.keyboard.press('PageUp');
    await page.getByText('Page 1 of 2').waitFor();
    await receivesOnlyShown('grid, back on page 1');

    // Speaker layout: Sam (whose fake microphone beeps) large, the others in a strip.
    await page.getByRole('button', { name: 'Speaker', exact: true }).click();
    assert.equal(
      await page.getByRole('button', { name: 'Speaker', exact: true }).getAttribute('aria-pressed'),
      'true',
    );
    await eventually(
      async () =>
        (await page.evaluate(
          () => (window as unknown as { conveneDebug?: ConveneDebug }).conveneDebug?.stage().main,
        )) === samId
          ? true
          : undefined,
      'Sam to be the large tile',
    );
    const speaker = await receivesOnlyShown('speaker layout');
    assert.equal(speaker.shown.size, 7, 'the large tile and a strip of six');
    const [main, ...strip] = await shownTiles(page);
    assert.equal(main?.id, samId);
    assert.ok(strip.every((tile) => tile.box.height < (main?.box.height ?? 0) / 2));
    await atLayer(1, `the large tile, ${main?.box.height}px high`);
    await vera.waitForPlayingVideo(samId);
    await vera.screenshot('layout-speaker.png');
    await expectAccessible(page, 'room, speaker layout');

    // Back to the grid: the small tile asks for the low layer again.
    await page.getByRole('button', { name: 'Grid', exact: true }).click();
    await atLayer(0, 'back in the grid');

    // Five people join at once: at most three notices show, the rest are counted, none covers a
    // tile, and each is said politely.
    await vera.recordAnnouncements();
    await Promise.all([1, 2, 3, 4, 5].map((i) => room.join(`Late Comer ${i}`)));
    await page.getByText('and 2 more').waitFor();
    const notices = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.toast:not([hidden])')].map((el) => {
        const r = el.getBoundingClientRect();
        return {
          text: el.innerText,
          box: { x: r.x, y: r.y, width: r.width, height: r.height },
          live: el.closest('[aria-live="polite"]') !== null,
        };
      }),
    );
    assert.equal(notices.length, 3, JSON.stringify(notices));
    for (const notice of notices) {
      assert.match(notice.text, /^Late Comer \d joined\.$/);
      assert.ok(notice.live, `${notice.text}: in a polite live region`);
      for (const tile of await shownTiles(page))
        assert.ok(
          !overlaps(notice.box, tile.box),
          `"${notice.text}" covers no tile (${JSON.stringify({ notice: notice.box, tile })})`,
        );
    }
    const heard = (await vera.announcements()).filter((a) => /^Late Comer \d joined\.$/.test(a));
    assert.equal(heard.length, 5, `each join is announced once: ${JSON.stringify(heard)}`);
    await vera.screenshot('layout-notices.png');
    await expectAccessible(page, 'room with stacked notices');
    // The notices go, and the strip they took goes with them.
    await page.getByText('and 2 more').waitFor({ state: 'hidden', timeout: 10_000 });
    await eventually(
      async () => ((await page.locator('.toast').count()) === 0 ? true : undefined),
      'the notices to expire',
    );
    assert.equal((await page.locator('.room-notices').boundingBox())?.height, 0);

    // On a phone the page of tiles fits the screen: no tile overlaps another, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await eventually(async () => {
      const tiles = await shownTiles(page);
      const fits = await page.evaluate(
        () => document.documentElement.scrollWidth <= window.innerWidth,
      );
      const apart = tiles.every((a, i) => tiles.slice(i + 1).every((b) => !overlaps(a.box, b.box)));
      return fits && apart && tiles.length === 9 ? true : undefined;
    }, 'nine tiles side by side on a phone');
    await vera.screenshot('layout-grid-phone.png');
    await expectAccessible(page, 'room, grid with pages, on a phone');

    assert.deepEqual(vera.consoleErrors, []);
    assert.deepEqual(sam.consoleErrors, []);
  });
});
