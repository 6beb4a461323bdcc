import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { RoomRouters } from '../src/media/room-routers.js';
import type { ChatMessage } from '../src/protocol/events.js';
import { ConferenceServer } from '../src/conference/conference-server.js';
import { Admin } from './support/admin.js';
import { signJoinToken, startApp, type TestApp } from './support/app.js';
import { expectAccessible } from './support/accessibility.js';
import { BrowserUser, eventually, launchBrowser } from './support/browser.js';
import { SlowLink } from './support/slow-link.js';

/** Media on loopback with one worker (two cores for three browsers and the server). */
const BROWSER_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '41300',
  CONVENE_RTC_MAX_PORT: '41399',
  CONVENE_ROOM_GRACE_SECONDS: '0',
  CONVENE_CHAT_RATE_LIMIT_PER_10S: '10',
};

const chatMessages = (events: { event: string; payload: unknown }[]) =>
  events.filter((e) => e.event === 'chat:message').map((e) => e.payload as ChatMessage);

const PHONE = { width: 390, height: 844 };

/** The microphone and camera buttons sit on the preview, clear of the initials shown instead of video. */
async function assertPreviewLayout(user: BrowserUser): Promise<void> {
  const box = async (selector: string) => {
    const found = await user.page.locator(selector).boundingBox();
    assert.ok(found, `${user.name}: ${selector} is shown`);
    return found;
  };
  const frame = await box('.preview-frame');
  const controls = await box('.preview-controls');
  const avatar = await box('.preview-frame .avatar');
  assert.ok(
    controls.y >= frame.y && controls.y + controls.height <= frame.y + frame.height,
    `${user.name}: the controls are on the preview (${JSON.stringify({ frame, controls })})`,
  );
  assert.ok(
    controls.y >= avatar.y + avatar.height,
    `${user.name}: the controls do not cover the initials (${JSON.stringify({ avatar, controls })})`,
  );
}

describe('web client in Chromium', () => {
  let t: TestApp;
  let admin: Admin;
  let browser: Browser;
  let roomId: string;
  const ids: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  const tokens: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  let a: BrowserUser;
  let b: BrowserUser;
  let c: BrowserUser;
  /** People opened by the later tests, for the page-error check. */
  const others: BrowserUser[] = [];
  /** Closed after each test, last first, whether it passed or not. */
  const cleanups: (() => Promise<unknown>)[] = [];
  const open = async (
    name: string,
    token: string,
    options: {
      from?: Browser;
      baseUrl?: string;
      viewport?: { width: number; height: number };
    } = {},
  ) => {
    const user = await BrowserUser.open(
      options.from ?? browser,
      options.baseUrl ?? t.url,
      name,
      token,
      options.viewport,
    );
    others.push(user);
    cleanups.push(() => user.close());
    return user;
  };
  const inRoom = async (name: string, displayName: string, room: string, role?: 'host') => {
    const issued = await admin.issueToken(room, displayName, role);
    const user = await open(name, issued.token);
    await user.join();
    return { user, id: issued.participantId };
  };

  before(async () => {
    t = await startApp(BROWSER_TEST_ENV);
    admin = new Admin(t.url);
    browser = await launchBrowser();
    roomId = await admin.createRoom({ name: 'Design review' });
    const issued = {
      a: await admin.issueToken(roomId, 'Alice Host', 'host'),
      b: await admin.issueToken(roomId, 'Bob Builder'),
      c: await admin.issueToken(roomId, 'Carol Late'),
    };
    for (const k of ['a', 'b', 'c'] as const) {
      ids[k] = issued[k].participantId;
      tokens[k] = issued[k].token;
    }
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the app at /join with a strict content security policy and keeps the API routes', async () => {
    const page = await fetch(`${t.url}/join`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page references its script');
    const asset = await fetch(`${t.url}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${t.url}/assets/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${t.url}/health/live`)).status, 200);
    assert.equal((await fetch(`${t.url}/api/v1/rooms`)).status, 401);
  });

  it('shows the pre-join screen: camera preview, device choice and who you join as', async () => {
    a = await BrowserUser.open(browser, t.url, 'A', tokens.a);
    const page = a.page;
    await page.getByRole('heading', { name: 'Ready to join?' }).waitFor();
    assert.match(await page.locator('.joining-as').innerText(), /Alice Host/);
    // The token leaves the address bar (it stays in this tab's session storage for reloads).
    assert.doesNotMatch(page.url(), /token=/);
    await page.waitForFunction(
      () => (document.querySelector<HTMLVideoElement>('.prejoin-video')?.videoWidth ?? 0) > 0,
    );
    assert.ok((await page.getByLabel('Camera').locator('option').count()) >= 1);
    assert.ok((await page.getByLabel('Microphone').locator('option').count()) >= 1);
    await a.screenshot('prejoin.png');
    await expectAccessible(page, 'pre-join');
  });

  it('without a join link, the landing screen says what to open', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    cleanups.push(() => context.close());
    await page.goto(`${t.url}/join`);
    await page.getByRole('heading', { name: 'Open your join link' }).waitFor();
    await expectAccessible(page, 'landing (no join link)');
  });

  it('A and B see each other’s video really playing', async () => {
    await a.join();
    // The room's name heads the page (and the tab's title).
    await a.page.getByRole('heading', { level: 1, name: 'Design review' }).waitFor();
    assert.equal(await a.page.title(), 'Design review · convene');
    b = await BrowserUser.open(browser, t.url, 'B', tokens.b);
    await b.join();
    const [bSeesA, aSeesB] = await Promise.all([
      b.waitForPlayingVideo(ids.a),
      a.waitForPlayingVideo(ids.b),
    ]);
    assert.ok(bSeesA.width > 0 && aSeesB.width > 0);
    await expectAccessible(a.page, 'room');
    // Both directions: inbound RTP grows at A and at B.
    const [bBefore, aBefore] = await Promise.all([b.inboundStats(), a.inboundStats()]);
    await b.page.waitForTimeout(1000);
    const [bLater, aLater] = await Promise.all([b.inboundStats(), a.inboundStats()]);
    const bytes = (s: typeof bBefore, kind: string) =>
      s.filter((x) => x.kind === kind).reduce((n, x) => n + x.bytesReceived, 0);
    for (const [who, before, later] of [
      ['B', bBefore, bLater],
      ['A', aBefore, aLater],
    ] as const) {
      assert.ok(bytes(later, 'video') > bytes(before, 'video'), `${who}: inbound video grows`);
      assert.ok(bytes(later, 'audio') > bytes(before, 'audio'), `${who}: inbound audio grows`);
    }
    console.log(
      `  video: B sees A ${bSeesA.width}x${bSeesA.height} (+${bSeesA.advanced.toFixed(2)}s), A sees B ${aSeesB.width}x${aSeesB.height} (+${aSeesB.advanced.toFixed(2)}s); ` +
        `inbound video in 1 s: B ${bytes(bBefore, 'video')} -> ${bytes(bLater, 'video')} bytes, A ${bytes(aBefore, 'video')} -> ${bytes(aLater, 'video')} bytes`,
    );

    // A turns the microphone off: B's page says so on A's tile; now only B is heard, and A's
    // page highlights B as the active speaker. Then A turns it back on.
    const aAtB = b.page.locator(`figure[data-participant-id="${ids.a}"]`);
    const label = async () => (await aAtB.getAttribute('aria-label')) ?? '';
    await a.page.getByRole('button', { name: 'Turn off microphone' }).click();
    await eventually(
      async () => ((await label()).includes('microphone off') ? true : undefined),
      "B to see A's microphone off",
    );
    // Highlighted, and said to screen readers (both set in the same update).
    await a.page.locator(`figure[data-participant-id="${ids.b}"].is-speaking`).waitFor();
    const bAtA = a.page.locator(`figure[data-participant-id="${ids.b}"]`);
    await eventually(
      async () =>
        (await bAtA.getAttribute('aria-label'))?.includes('speaking') ? true : undefined,
      "A's page to say B is speaking",
    );
    await a.page.getByRole('button', { name: 'Turn on microphone' }).click();
    await eventually(
      async () => ((await label()).includes('microphone on') ? true : undefined),
      "B to see A's microphone on again",
    );
  });

  it('a private conversation reaches only its recipient, before and after someone joins; public reaches all', async () => {
    // A opens a private conversation with B from the people list and sends.
    await a.openPeople();
    await a.page.getByRole('button', { name: 'Message Bob Builder privately' }).click();
    await a.page.getByText('only you and Bob Builder can see these messages').waitFor();
    await a.send('private one: the numbers are bad');

    // C joins. A's active conversation and its target do not change.
    c = await BrowserUser.open(browser, t.url, 'C', tokens.c);
    await c.join();
    await a.page.locator(`figure[data-participant-id="${ids.c}"]`).waitFor();
    assert.equal(await a.page.getByRole('tab', { selected: true }).innerText(), 'Bob Builder');
    assert.equal(
      await a.page.locator('label[for="chat-input"]').innerText(),
      'Private message to Bob Builder',
    );
    await a.send('private two: after Carol joined');
    await a.send('private three: still only Bob');

    // A public message, from the public conversation.
    await a.page.getByRole('tab', { name: /^Everyone/ }).click();
    await a.send('hello everyone');

    // B: all three in the private conversation with A, marked private; the public one under Everyone.
    const privateTexts = [
      'private one: the numbers are bad',
      'private two: after Carol joined',
      'private three: still only Bob',
    ];
    await b.openChat();
    await b.page.getByRole('tab', { name: /^Private conversation with Alice Host/ }).click();
    await eventually(
      async () => ((await b.messageTexts()).length === 3 ? true : undefined),
      'B to show three private messages',
    );
    assert.deepEqual(await b.messageTexts(), privateTexts);
    assert.equal(await b.page.locator('.message-log .message[data-kind="private"]').count(), 3);
    await b.page.getByRole('tab', { name: /^Everyone/ }).click();
    assert.deepEqual(await b.messageTexts(), ['hello everyone']);

    // Every private message B received was sent as kind private, addressed to B.
    const bReceived = chatMessages(await b.events()).filter((m) => privateTexts.includes(m.text));
    assert.equal(bReceived.length, 3);
    for (const m of bReceived) {
      assert.equal(m.kind, 'private');
      assert.equal(m.to, ids.b);
      assert.equal(m.from.participantId, ids.a);
    }

    // C: the public message arrives; no private one was ever received or shown.
    await c.openChat();
    await eventually(
      async () => ((await c.messageTexts()).includes('hello everyone') ? true : undefined),
      'C to show the public message',
    );
    const cEvents = chatMessages(await c.events());
    assert.deepEqual(
      cEvents.map((m) => m.text),
      ['hello everyone'],
    );
    const cPage = await c.page.content();
    for (const text of privateTexts)
      assert.ok(!cPage.includes(text), `C's page never shows "${text}"`);
    assert.equal(await c.page.getByRole('tab', { name: /^Private conversation/ }).count(), 0);

    // Three people with the chat open, for people to look at.
    await a.page.getByRole('tab', { name: /^Private conversation with Bob Builder/ }).click();
    await a.waitForPlayingVideo(ids.c);
    await a.screenshot('room-three-people-chat.png');
    await expectAccessible(a.page, 'room with the chat open');
    await c.page.setViewportSize(PHONE);
    // On a phone the room fits the width (nothing scrolls sideways) and the message box is on screen.
    await eventually(
      async () =>
        (await c.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth))
          ? true
          : undefined,
      'no sideways scrolling at phone width',
    );
    const input = await c.page.getByRole('textbox', { name: 'Message everyone' }).boundingBox();
    assert.ok(
      input && input.x >= 0 && input.x + input.width <= PHONE.width,
      'chat input on screen',
    );
    assert.ok(input.y + input.height <= PHONE.height, 'chat input above the fold');
    await c.screenshot('room-phone-chat.png');
    await expectAccessible(c.page, 'room with the chat open on a phone');

    // A latecomer gets the history on joining: the public conversation, none of the private one.
    const dan = await admin.issueToken(roomId, 'Dan Later');
    const d = await open('D', dan.token);
    await d.join();
    await d.openChat();
    await eventually(
      async () => ((await d.messageTexts()).includes('hello everyone') ? true : undefined),
      'D to show the public message from the history',
    );
    const dPage = await d.page.content();
    for (const text of privateTexts)
      assert.ok(!dPage.includes(text), `D's page never shows "${text}"`);
  });

  it('after a network blip, B shows it is reconnecting and recovers by itself: video, chat and the open conversation', async () => {
    await b.page.getByRole('tab', { name: /^Private conversation with Alice Host/ }).click();
    // Cut B's connection under it, as a network drop does (the transport closes; no goodbye).
    const server = t.app.get(ConferenceServer).io;
    const socket = [...server.sockets.values()].find(
      (s) => s.data.identity?.participantId === ids.b,
    );
    assert.ok(socket, "B's connection is on the server");
    const cutAt = Date.now();
    socket.conn.close();
    await b.page.getByText('Connection lost. Reconnecting…').waitFor();
    await expectAccessible(b.page, 'room while reconnecting');
    await b.page.getByText('Connection lost. Reconnecting…').waitFor({ state: 'detached' });
    const recoveredMs = Date.now() - cutAt;
    const [bSeesA, aSeesB] = await Promise.all([
      b.waitForPlayingVideo(ids.a),
      a.waitForPlayingVideo(ids.b),
    ]);
    assert.ok(bSeesA.width > 0 && aSeesB.width > 0);
    // The chat kept its place: same conversation, history not duplicated, and it still works.
    assert.match(await b.page.getByRole('tab', { selected: true }).innerText(), /Alice Host/);
    assert.equal((await b.messageTexts()).length, 3);
    await b.send('back again');
    await a.page.locator('.message-log').getByText('back again').waitFor();
    console.log(
      `  reconnect: B rejoined ${recoveredMs} ms after the cut; video playing again both ways`,
    );
  });

  it('the host mutes a participant, who is told; then removes another, who sees why', async () => {
    await a.openPeople();
    await a.page.getByRole('button', { name: 'Mute Bob Builder', exact: true }).click();
    await b.page.getByText('A host muted your microphone.').waitFor();
    assert.equal(
      await b.page.getByRole('button', { name: 'Turn on microphone' }).getAttribute('aria-pressed'),
      'true',
    );
    await a.page
      .locator(`li[data-participant-id="${ids.b}"] [aria-label="microphone off"]`)
      .waitFor();
    await a.screenshot('room-host-people.png');
    await expectAccessible(a.page, "room with the host's people panel");

    await a.page.getByRole('button', { name: 'Remove Carol Late' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await c.page.getByText('A host removed you from the meeting.').waitFor();
    await expectAccessible(c.page, 'removed from the meeting');
    await a.page.locator(`figure[data-participant-id="${ids.c}"]`).waitFor({ state: 'detached' });
    await c.close();
  });

  it('a guest in a lobby room waits until a host admits them; a rejected one is told', async () => {
    await b.close();
    const lobbyRoom = await admin.createRoom({ name: 'Interviews', lobby: true });
    const host = await admin.issueToken(lobbyRoom, 'Harriet Host', 'host');
    const guest = await admin.issueToken(lobbyRoom, 'Gus Guest', 'guest');
    const other = await admin.issueToken(lobbyRoom, 'Rita Refused', 'guest');
    const h = await BrowserUser.open(browser, t.url, 'H', host.token);
    await h.join();
    const g = await BrowserUser.open(browser, t.url, 'G', guest.token);
    await g.join('lobby');
    await expectAccessible(g.page, 'lobby (waiting to be admitted)');
    await h.openPeople();
    await h.page.getByRole('button', { name: 'Admit Gus Guest' }).first().click();
    await g.page.getByRole('button', { name: 'Leave' }).waitFor();
    await g.page.locator(`figure[data-participant-id="${host.participantId}"]`).waitFor();
    await h.page.locator(`figure[data-participant-id="${guest.participantId}"]`).waitFor();

    const r = await BrowserUser.open(browser, t.url, 'R', other.token);
    await r.join('lobby');
    await h.page.getByRole('button', { name: 'Reject Rita Refused' }).first().click();
    await r.page.getByText('A host declined your request to join.').waitFor();
    await expectAccessible(r.page, 'declined by a host');
    await h.page
      .getByRole('button', { name: 'Reject Rita Refused' })
      .waitFor({ state: 'detached' });
    assert.equal(
      await h.page.locator(`figure[data-participant-id="${other.participantId}"]`).count(),
      0,
    );
    await Promise.all([h.close(), g.close(), r.close()]);
  });

  it('explains a join link that is not valid', async () => {
    const x = await BrowserUser.open(browser, t.url, 'X', 'not-a-token');
    await x.page.getByRole('button', { name: 'Join meeting' }).click();
    await x.page.getByText('This join link is not valid').waitFor();
    await expectAccessible(x.page, 'pre-join with an invalid link');
    await x.close();
  });

  it('when the join link expires during the meeting, the person is told in words', async () => {
    const room = await admin.createRoom({ name: 'Short link' });
    const issued = await admin.issueToken(room, 'Erin Expiring');
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 6000);
    const token = await signJoinToken(t, {
      roomId: room,
      participantId: issued.participantId,
      displayName: 'Erin Expiring',
      role: 'participant',
      expiresAt,
    });
    const erin = await open('Erin', token);
    await erin.join();
    await erin.page
      .getByRole('heading', { name: 'Your join link has expired' })
      .waitFor({ timeout: 10_000 });
    await erin.page
      .getByText(
        'You were disconnected because your join link expired. Ask the organiser for a new link.',
      )
      .waitFor();
    assert.ok(Date.now() >= expiresAt.getTime() - 50, 'not before the token expired');
    await expectAccessible(erin.page, 'join link expired');
    await erin.page.screenshot({ path: '/tmp/expired.png' });
  });

  it('keyboard only: from the pre-join screen, joins, messages two people privately and switches conversations', async () => {
    const room = await admin.createRoom({ name: 'Keyboard' });
    const bob = await inRoom('KB', 'Bob Builder', room);
    const carol = await inRoom('KC', 'Carol Late', room);
    const kimToken = await admin.issueToken(room, 'Kim Keys');
    const kim = await open('K', kimToken.token);
    const keys = kim.page.keyboard;
    /** Types into the focused composer, presses Enter, and waits until the message is stored. */
    const typeAndSend = async (text: string) => {
      await keys.type(text);
      await keys.press('Enter');
      await kim.page.locator('.message.is-mine:not(.is-pending)').getByText(text).waitFor();
    };

    // Pre-join: focus starts on Join; Shift+Tab back to the microphone, Space turns it off.
    await eventually(
      async () => ((await kim.focused()).name === 'Join meeting' ? true : undefined),
      'focus on Join meeting',
    );
    await kim.pressUntilFocused('Shift+Tab', 'button', 'Turn off microphone');
    await keys.press('Space');
    assert.deepEqual(await kim.focused(), { role: 'button', name: 'Turn on microphone' });
    await kim.pressUntilFocused('Tab', 'button', 'Join meeting');
    await keys.press('Enter');
    await kim.page.getByRole('button', { name: 'Leave' }).waitFor();

    // In the room focus starts at the top, not on the page body; the microphone stayed off.
    await eventually(
      async () => ((await kim.focused()).role === 'heading' ? true : undefined),
      'focus on the room heading',
    );
    await kim.pressUntilFocused('Tab', 'button', 'Unmute, turn on microphone');

    // Keyboard focus is visible, also in forced colours (Windows High Contrast drops box-shadow).
    const focusRing = () =>
      kim.page.evaluate(() => {
        const style = getComputedStyle(document.activeElement ?? document.body);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        return outline || style.boxShadow !== 'none';
      });
    const focusVisibleRules = await kim.page.evaluate(
      () =>
        [...document.styleSheets]
          .flatMap((sheet) => [...sheet.cssRules])
          .filter(
            (rule) => rule instanceof CSSStyleRule && rule.selectorText.includes(':focus-visible'),
          ).length,
    );
    assert.ok(focusVisibleRules > 0, 'the stylesheet has :focus-visible rules');
    assert.ok(await focusRing(), 'the focused button shows a focus ring');
    await kim.page.emulateMedia({ forcedColors: 'active' });
    assert.ok(await focusRing(), 'the focus ring survives forced colours');
    await kim.page.emulateMedia({ forcedColors: 'none' });

    // Chat: Enter opens it with focus in the composer.
    await kim.pressUntilFocused('Tab', 'button', 'Chat');
    await keys.press('Enter');
    assert.deepEqual(await kim.focused(), { role: 'textbox', name: 'Message everyone' });

    // "Start a private conversation": arrow keys only choose (Carol is second); Space on Open opens.
    await kim.pressUntilFocused('Shift+Tab', 'combobox', 'Start a private conversation');
    await keys.press('ArrowDown');
    await keys.press('ArrowDown');
    assert.equal((await kim.focused()).role, 'combobox', 'focus stays on the list');
    assert.match(
      await kim.page.getByRole('tab', { selected: true }).innerText(),
      /Everyone/,
      'choosing in the list does not switch conversations by itself',
    );
    await kim.pressUntilFocused('Tab', 'button', 'Open private conversation');
    await keys.press('Space');
    assert.deepEqual(await kim.focused(), {
      role: 'textbox',
      name: 'Private message to Carol Late',
    });
    await typeAndSend('kb: for Carol only');

    // People: Enter opens the panel and moves focus into it (the panel comes before the
    // controls in the page, so without that the next Tab would land on Leave).
    await kim.pressUntilFocused('Tab', 'button', 'People');
    await keys.press('Enter');
    assert.deepEqual(await kim.focused(), { role: 'heading', name: 'People' });
    await kim.pressUntilFocused('Tab', 'button', 'Message Bob Builder privately');
    // Someone joins while Kim is on that button: the list grows, focus stays where it was.
    await kim.recordFocusMoves();
    const danToken = await admin.issueToken(room, 'Dan Dropin');
    const dan = await open('KD', danToken.token);
    await dan.join();
    await kim.page.getByRole('button', { name: 'Message Dan Dropin privately' }).waitFor();
    await kim.page.waitForTimeout(1000);
    assert.equal(await kim.focusMoves(), 0, 'focus did not move (screen readers stay quiet)');
    assert.deepEqual(await kim.focused(), {
      role: 'button',
      name: 'Message Bob Builder privately',
    });
    await keys.press('Enter');
    assert.deepEqual(await kim.focused(), {
      role: 'textbox',
      name: 'Private message to Bob Builder',
    });
    await typeAndSend('kb: for Bob only');

    // Conversation tabs: one tab stop (the selected tab), arrows/Home/End move and select.
    const selected = async () => {
      const focused = await kim.page.evaluate(() => ({
        role: document.activeElement?.getAttribute('role'),
        selected: document.activeElement?.getAttribute('aria-selected'),
      }));
      assert.deepEqual(focused, { role: 'tab', selected: 'true' }, 'the selected tab has focus');
      return (await kim.focused()).name;
    };
    await kim.pressUntilFocused('Shift+Tab', 'tab', /^Private conversation with Bob Builder/);
    // Dan leaves while Kim is on the tab: the room re-renders, focus stays put.
    await kim.recordFocusMoves();
    await dan.close();
    await kim.page
      .locator(`figure[data-participant-id="${danToken.participantId}"]`)
      .waitFor({ state: 'detached' });
    await kim.page.waitForTimeout(1000);
    assert.equal(await kim.focusMoves(), 0, 'focus did not move (screen readers stay quiet)');
    await keys.press('ArrowLeft');
    assert.match(await selected(), /^Private conversation with Carol Late/);
    assert.deepEqual(await kim.messageTexts(), ['kb: for Carol only']);
    await keys.press('Home');
    assert.match(await selected(), /^Everyone/);
    await keys.press('End');
    assert.match(await selected(), /^Private conversation with Bob Builder/);
    assert.deepEqual(await kim.messageTexts(), ['kb: for Bob only']);
    const [tab, panel] = await Promise.all([
      kim.page.locator(':focus').boundingBox(),
      kim.page.locator('.chat-panel').boundingBox(),
    ]);
    assert.ok(
      tab && panel && tab.x >= panel.x && tab.x + tab.width <= panel.x + panel.width,
      `the focused tab is in view: ${JSON.stringify({ tab, panel })}`,
    );
    await kim.screenshot('keyboard-tabs.png');
    await keys.press('ArrowRight');
    assert.match(await selected(), /^Everyone/, 'ArrowRight on the last tab wraps to the first');
    await keys.press('Tab');
    assert.equal((await kim.focused()).role, 'combobox', 'Tab leaves the tab list');
    await kim.pressUntilFocused('Tab', 'textbox', 'Message everyone');
    await keys.type('kb: hello everyone');
    await keys.press('Enter');
    // Escape closes the panel and gives focus back to its button.
    await kim.page.locator('.message.is-mine').getByText('kb: hello everyone').waitFor();
    await keys.press('Escape');
    await kim.page.locator('#chat-panel').waitFor({ state: 'detached' });
    assert.deepEqual(await kim.focused(), { role: 'button', name: 'Chat' });

    // Each recipient got exactly what was meant for them.
    const received = async (user: BrowserUser, n: number) =>
      eventually(async () => {
        const texts = chatMessages(await user.events())
          .filter((m) => m.from.participantId === kimToken.participantId)
          .map((m) => `${m.kind}:${m.to ?? ''}:${m.text}`);
        return texts.length >= n ? texts : undefined;
      }, `${user.name} to receive ${n} messages from Kim`);
    assert.deepEqual(await received(bob.user, 2), [
      `private:${bob.id}:kb: for Bob only`,
      'public::kb: hello everyone',
    ]);
    assert.deepEqual(await received(carol.user, 2), [
      `private:${carol.id}:kb: for Carol only`,
      'public::kb: hello everyone',
    ]);
    await carol.user.openChat();
    await carol.user.page.getByRole('tab', { name: /^Private conversation with Kim Keys/ }).click();
    assert.deepEqual(await carol.user.messageTexts(), ['kb: for Carol only']);
  });

  it('when the room is closed, everyone sees it in words and nobody tries to reconnect', async () => {
    const room = await admin.createRoom({ name: 'Closing time' });
    const link = await SlowLink.start(t.url);
    cleanups.push(() => link.close());
    const hostToken = await admin.issueToken(room, 'Rita Host', 'host');
    const host = await open('RH', hostToken.token, { baseUrl: link.url });
    await host.join();
    const phoneToken = await admin.issueToken(room, 'Paul Phone');
    const phone = await open('RP', phoneToken.token, { viewport: PHONE });
    await phone.join();
    const lateToken = await admin.issueToken(room, 'Lena Late');
    const late = await open('RL', lateToken.token, { viewport: PHONE });
    await late.page.getByRole('heading', { name: 'Ready to join?' }).waitFor();

    const websockets = new Map<BrowserUser, number>();
    for (const user of [host, phone, late]) {
      websockets.set(user, 0);
      user.page.on('websocket', () => websockets.set(user, (websockets.get(user) ?? 0) + 1));
    }
    // Rita stops her video as the room closes: her request is still on its way when it ends.
    link.hold('to-server');
    await host.page.getByRole('button', { name: 'Turn off camera' }).click();
    await admin.delete(`/api/v1/rooms/${room}`).expect(204);

    const closed = async (user: BrowserUser) => {
      await user.page.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
      const text = user.page.getByText(
        'The room was closed for everyone. This link no longer works.',
      );
      assert.equal(await text.getAttribute('role'), 'alert', `${user.name}: announced`);
      assert.equal(await user.page.getByRole('button').count(), 0, `${user.name}: no way back in`);
    };
    for (const user of [host, phone]) await closed(user);
    await expectAccessible(host.page, 'the meeting has ended');
    await expectAccessible(phone.page, 'the meeting has ended, on a phone');
    // Longer than the client's first reconnection delays: a retry would have opened a socket.
    await host.page.waitForTimeout(3000);
    assert.equal(websockets.get(host), 0, 'the host page did not reconnect');
    assert.equal(websockets.get(phone), 0, 'the phone page did not reconnect');
    for (const user of [host, phone]) assert.equal(await user.phase(), 'ended', user.name);
    // The request cut short by the end is no error to report.
    assert.deepEqual(host.consoleErrors, []);
    assert.equal(await host.page.locator('.toast').count(), 0, 'no leftover or error notices');
    await host.screenshot('room-closed.png');
    await phone.screenshot('room-closed-phone.png');

    // Someone still on the pre-join screen is told the same when they try; the preview goes away.
    await late.page.getByRole('button', { name: 'Join meeting' }).click();
    await closed(late);
    assert.equal(await late.page.locator('video').count(), 0);
    await late.screenshot('room-closed-prejoin-phone.png');
    await late.page.waitForTimeout(1500);
    assert.equal(websockets.get(late), 1, 'one refused attempt, no retries');
  });

  it('a private message to someone who has just left is refused: the sender is told who left, nobody gets it', async () => {
    const room = await admin.createRoom({ name: 'Leaving' });
    const link = await SlowLink.start(t.url);
    cleanups.push(() => link.close());
    const annToken = await admin.issueToken(room, 'Ann Sender');
    const ann = await open('LA', annToken.token, { baseUrl: link.url });
    await ann.join();
    const ben = await inRoom('LB', 'Ben Leaving', room);
    const cat = await inRoom('LC', 'Cat Bystander', room);
    await ann.openPeople();
    await ann.page.getByRole('button', { name: 'Message Ben Leaving privately' }).click();
    await ann.page.getByText('only you and Ben Leaving can see these messages').waitFor();
    await ann.recordAnnouncements();

    // Ann's network stalls, so the news that Ben left has not reached her when she sends.
    link.hold('to-browser');
    await ben.user.page.getByRole('button', { name: 'Leave' }).click();
    await ben.user.page.getByText('You left the meeting.').waitFor();
    await eventually(async () => {
      const res = await admin.get(`/api/v1/rooms/${room}/participants`).expect(200);
      const ids = (res.body as { participantId: string }[]).map((p) => p.participantId);
      return ids.includes(ben.id) ? undefined : true;
    }, 'Ben to be gone on the server');
    const text = 'are you still there, Ben?';
    await ann.page.locator('#chat-input').fill(text);
    await ann.page.locator('#chat-input').press('Enter');
    await ann.page.locator('.message.is-pending').getByText(text).waitFor();
    link.release('to-browser');

    const failed = ann.page.locator('.message.is-failed');
    await failed.getByText(text).waitFor();
    assert.match(
      await failed.innerText(),
      /Ben Leaving left the meeting, so this message was not sent/,
    );
    assert.match(await failed.innerText(), /Not sent/);
    // No "Try again" while Ben is away, like the composer.
    assert.equal(await failed.getByRole('button', { name: 'Try again' }).count(), 0);
    assert.equal(
      await ann.page.locator('.message:not(.is-failed)').getByText(text).count(),
      0,
      'not shown as sent',
    );
    // Her page now knows too: the conversation says so and the composer is off.
    await ann.page.getByText('Ben Leaving has left the meeting').waitFor();
    assert.equal(await ann.page.locator('#chat-input').isDisabled(), true);
    // Told once, not again on every re-render.
    await ann.page.waitForTimeout(1500);
    const told = (await ann.announcements()).filter((a) => a.includes('was not sent'));
    assert.equal(told.length, 1, `announced once: ${JSON.stringify(told)}`);

    // Nobody received it, and it was never stored.
    await cat.user.openChat();
    assert.ok(!(await cat.user.page.content()).includes(text), "not on Cat's page");
    assert.ok(!chatMessages(await cat.user.events()).some((m) => m.text === text));
    assert.ok(!chatMessages(await ben.user.events()).some((m) => m.text === text));
    const stored = await t.db.query('SELECT 1 FROM chat_messages WHERE text = $1', [text]);
    assert.equal(stored.length, 0, 'not in the audit trail');
    await ann.screenshot('recipient-left.png');
  });

  it('a message sent while the link is down goes out after the re-join: stored once, delivered once, shown as sent', async () => {
    const room = await admin.createRoom({ name: 'Offline send' });
    const link = await SlowLink.start(t.url);
    cleanups.push(() => link.close());
    const dinaToken = await admin.issueToken(room, 'Dina Offline');
    const dina = await open('OD', dinaToken.token, { baseUrl: link.url });
    await dina.join();
    const eli = await inRoom('OE', 'Eli Online', room);
    await dina.openPeople();
    await dina.page.getByRole('button', { name: 'Message Eli Online privately' }).click();
    await dina.page.getByText('only you and Eli Online can see these messages').waitFor();

    // Dina's network drops and stays stalled: her reconnect waits in the link.
    link.hold('to-server');
    link.drop();
    await dina.page.getByText('Connection lost. Reconnecting…').waitFor();
    const text = 'typed while the link was down';
    await dina.page.locator('#chat-input').fill(text);
    await dina.page.locator('#chat-input').press('Enter');
    await dina.page.locator('.message.is-pending').getByText(text).waitFor();
    link.release('to-server');

    await dina.page.getByText('Connection lost. Reconnecting…').waitFor({ state: 'detached' });
    await dina.page
      .locator('.message.is-mine:not(.is-pending):not(.is-failed)')
      .getByText(text, { exact: true })
      .waitFor();
    const delivered = await eventually(async () => {
      const got = chatMessages(await eli.user.events()).filter((m) => m.text === text);
      return got.length > 0 ? got : undefined;
    }, 'Eli to receive the message');
    assert.equal(delivered[0]?.kind, 'private');
    assert.equal(delivered[0]?.to, eli.id);
    await dina.page.waitForTimeout(1000);
    assert.equal(chatMessages(await eli.user.events()).filter((m) => m.text === text).length, 1);
    const stored = await t.db.query('SELECT recipient_id FROM chat_messages WHERE text = $1', [
      text,
    ]);
    assert.deepEqual(stored, [{ recipient_id: eli.id }]);
  });

  it('sending faster than the chat limit: the extra message is marked not sent, in words about chat', async () => {
    const room = await admin.createRoom({ name: 'Fast typist' });
    const fay = await inRoom('RF', 'Fay Fast', room);
    await fay.user.openChat();
    const input = fay.user.page.locator('#chat-input');
    // The test app allows CONVENE_CHAT_RATE_LIMIT_PER_10S messages per 10 s; send one more.
    const limit = Number(BROWSER_TEST_ENV.CONVENE_CHAT_RATE_LIMIT_PER_10S);
    for (let i = 0; i <= limit; i++) {
      await input.fill(`burst ${i}`);
      await input.press('Enter');
    }
    const failed = fay.user.page.locator('.message.is-failed');
    await failed.first().waitFor();
    assert.equal(await failed.count(), 1);
    assert.match(
      await failed.innerText(),
      /You are sending messages too fast, so this one was not sent\. Wait a few seconds/,
    );
    const stored = await t.db.query(
      'SELECT count(*)::int AS n FROM chat_messages WHERE room_id = $1',
      [room],
    );
    assert.deepEqual(stored, [{ n: limit }]);
  });

  it('a browser that blocks the camera and microphone: told in words before joining, can still join without them', async () => {
    const blocking = await launchBrowser('per-context');
    cleanups.push(() => blocking.close());
    const room = await admin.createRoom({ name: 'No camera' });
    const host = await inRoom('BH', 'Hal Host', room, 'host');
    const deeToken = await admin.issueToken(room, 'Dee Blocked');
    const dee = await open('BD', deeToken.token, { from: blocking });
    const notice = dee.page.getByText(
      'Your browser blocked the camera and microphone. To use them, allow them in the site settings (the icon next to the address), then reload this page. You can still join without them.',
    );
    await notice.waitFor();
    assert.equal(
      await notice.evaluate((el) => el.closest('[role="alert"]') !== null),
      true,
      'the notice is announced',
    );
    assert.equal(await dee.page.getByRole('button', { name: 'Join meeting' }).isEnabled(), true);
    for (const label of ['Camera', 'Microphone'])
      assert.deepEqual(await dee.page.getByLabel(label).locator('option').allTextContents(), [
        'Blocked by your browser',
      ]);
    await assertPreviewLayout(dee);
    await dee.screenshot('prejoin-blocked.png');
    await expectAccessible(dee.page, 'pre-join with the camera and microphone blocked');
    const pipToken = await admin.issueToken(room, 'Pip Blocked');
    const pip = await open('BP', pipToken.token, { from: blocking, viewport: PHONE });
    await pip.page
      .getByText('Your browser blocked the camera and microphone.', { exact: false })
      .waitFor();
    await assertPreviewLayout(pip);
    await pip.screenshot('prejoin-blocked-phone.png');
    await pip.close();

    await dee.join();
    for (const what of ['microphone', 'camera'])
      assert.equal(
        await dee.page.getByRole('button', { name: `Turn on ${what}` }).isDisabled(),
        true,
      );
    await host.user.page
      .locator(`figure[data-participant-id="${deeToken.participantId}"]`)
      .waitFor();
    await dee.openChat();
    await dee.send('no camera, but here');
    await host.user.openChat();
    await host.user.page.locator('.message-log').getByText('no camera, but here').waitFor();
  });

  it('screen readers hear each new message once, private ones too, and hear when the connection drops', async () => {
    const room = await admin.createRoom({ name: 'Listening' });
    const sam = await inRoom('SS', 'Sam Screenreader', room);
    const tom = await inRoom('ST', 'Tom Talker', room);
    await sam.user.openChat();
    await sam.user.page.waitForTimeout(1000);
    await sam.user.recordAnnouncements();
    // Both microphones send sound: active-speaker changes re-render the room meanwhile.
    await sam.user.page.waitForTimeout(2500);
    assert.deepEqual(await sam.user.announcements(), [], 'nothing announced while nothing happens');

    await tom.user.openChat();
    await tom.user.send('public hello to Sam');
    await tom.user.page.getByRole('tab', { name: /^Everyone/ }).click();
    await tom.user.openPeople();
    await tom.user.page.getByRole('button', { name: 'Message Sam Screenreader privately' }).click();
    await tom.user.send('a private word, Sam');
    await sam.user.page.waitForTimeout(2500);
    const heard = await sam.user.announcements();
    for (const text of ['public hello to Sam', 'a private word, Sam'])
      assert.equal(
        heard.filter((a) => a.includes(text)).length,
        1,
        `"${text}" announced once: ${JSON.stringify(heard)}`,
      );
    // The element holding each announced message is a polite live region.
    for (const text of ['public hello to Sam', 'a private word, Sam']) {
      const live = await sam.user.page.evaluate((t) => {
        const holders = [...document.querySelectorAll('[aria-live]')].filter(
          (el) => el.getAttribute('aria-live') !== 'off' && el.textContent?.includes(t),
        );
        return holders.map((el) => `${el.getAttribute('role')}/${el.getAttribute('aria-live')}`);
      }, text);
      assert.deepEqual(live, ['log/polite'], text);
    }

    // Reconnecting is announced by a status region that was there before the connection dropped.
    const banner = sam.user.page.locator('.connection-banner');
    assert.equal(await banner.getAttribute('role'), 'status');
    assert.equal(await banner.getAttribute('aria-live'), 'polite');
    const server = t.app.get(ConferenceServer).io;
    [...server.sockets.values()]
      .find((s) => s.data.identity?.participantId === sam.id)
      ?.conn.close();
    await banner.getByText('Connection lost. Reconnecting…').waitFor();
    await banner.getByText('Connection lost. Reconnecting…').waitFor({ state: 'detached' });
    assert.ok(
      (await sam.user.announcements()).includes('Connection lost. Reconnecting…'),
      'the drop was announced',
    );
  });

  it('when the room’s media server dies, both people rebuild their media by themselves and see each other again', async () => {
    const room = await admin.createRoom({ name: 'Restart' });
    const p = await inRoom('PA', 'Paula Pixel', room);
    const q = await inRoom('PB', 'Quinn Quiet', room);
    await Promise.all([p.user.waitForPlayingVideo(q.id), q.user.waitForPlayingVideo(p.id)]);
    const routers = t.app.get(RoomRouters);
    const killed = routers.peek(room)?.worker.worker.pid;
    assert.ok(killed, 'the room has a router on a worker');
    process.kill(killed, 'SIGKILL');

    for (const u of [p.user, q.user]) {
      await eventually(
        async () =>
          (await u.events()).some((e) => e.event === 'media:restart') ? true : undefined,
        `${u.name} to be told to rebuild media`,
      );
    }
    await eventually(() => {
      const now = routers.peek(room);
      return now && !now.router.closed && now.worker.worker.pid !== killed ? true : undefined;
    }, 'a new router on a live worker');
    // Inbound RTP flows again on the rebuilt transports, both ways, and the videos play.
    for (const u of [p.user, q.user]) {
      const videoBytes = async () =>
        (await u.inboundStats())
          .filter((s) => s.kind === 'video')
          .reduce((n, s) => n + s.bytesReceived, 0);
      await eventually(
        async () => {
          const before = await videoBytes();
          await u.page.waitForTimeout(500);
          return (await videoBytes()) > before ? true : undefined;
        },
        `${u.name}: inbound video flows again`,
        30_000,
      );
    }
    await Promise.all([p.user.waitForPlayingVideo(q.id), q.user.waitForPlayingVideo(p.id)]);
    assert.equal(await p.user.page.getByText('Connection lost. Reconnecting…').count(), 0);
  });

  it('reports no page errors', () => {
    for (const user of [a, b, c, ...others])
      assert.deepEqual(user.consoleErrors, [], `${user.name}'s page`);
  });
});
