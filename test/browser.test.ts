import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ChatMessage } from '../src/protocol/events.js';
import { ConferenceServer } from '../src/rooms/conference-server.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { BrowserUser, eventually, launchBrowser } from './support/browser.js';

/** Media on loopback with one worker (two cores for three browsers and the server). */
const BROWSER_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '41300',
  CONVENE_RTC_MAX_PORT: '41399',
  CONVENE_ROOM_GRACE_SECONDS: '0',
};

const chatMessages = (events: { event: string; payload: unknown }[]) =>
  events.filter((e) => e.event === 'chat:message').map((e) => e.payload as ChatMessage);

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
  });

  it('A and B see each other’s video really playing', async () => {
    await a.join();
    b = await BrowserUser.open(browser, t.url, 'B', tokens.b);
    await b.join();
    const [bSeesA, aSeesB] = await Promise.all([
      b.waitForPlayingVideo(ids.a),
      a.waitForPlayingVideo(ids.b),
    ]);
    assert.ok(bSeesA.width > 0 && aSeesB.width > 0);
    const before = await b.inboundStats();
    await b.page.waitForTimeout(1000);
    const later = await b.inboundStats();
    const bytes = (s: typeof before, kind: string) =>
      s.filter((x) => x.kind === kind).reduce((n, x) => n + x.bytesReceived, 0);
    assert.ok(bytes(later, 'video') > bytes(before, 'video'), 'inbound video bytes grow');
    assert.ok(bytes(later, 'audio') > bytes(before, 'audio'), 'inbound audio bytes grow');
    console.log(
      `  video: B sees A ${bSeesA.width}x${bSeesA.height} (+${bSeesA.advanced.toFixed(2)}s), A sees B ${aSeesB.width}x${aSeesB.height} (+${aSeesB.advanced.toFixed(2)}s); ` +
        `B inbound video ${bytes(before, 'video')} -> ${bytes(later, 'video')} bytes in 1 s`,
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
    await c.page.setViewportSize({ width: 390, height: 844 });
    await c.screenshot('room-phone-chat.png');
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
    await a.page.getByText('back again').waitFor();
    console.log(
      `  reconnect: B rejoined ${recoveredMs} ms after the cut; video playing again both ways`,
    );
  });

  it('the host mutes a participant, who is told; then removes another, who sees why', async () => {
    await a.openPeople();
    await a.page.getByRole('button', { name: 'Mute Bob Builder' }).click();
    await b.page.getByText('A host muted your microphone.').waitFor();
    assert.equal(
      await b.page.getByRole('button', { name: 'Turn on microphone' }).getAttribute('aria-pressed'),
      'true',
    );
    await a.page
      .locator(`li[data-participant-id="${ids.b}"] [aria-label="microphone off"]`)
      .waitFor();
    await a.screenshot('room-host-people.png');

    await a.page.getByRole('button', { name: 'Remove Carol Late' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await c.page.getByText('A host removed you from the meeting.').waitFor();
    await a.page.locator(`figure[data-participant-id="${ids.c}"]`).waitFor({ state: 'detached' });
    await c.close();
  });

  it('a guest in a lobby room waits until a host admits them', async () => {
    await b.close();
    const lobbyRoom = await admin.createRoom({ name: 'Interviews', lobby: true });
    const host = await admin.issueToken(lobbyRoom, 'Harriet Host', 'host');
    const guest = await admin.issueToken(lobbyRoom, 'Gus Guest', 'guest');
    const h = await BrowserUser.open(browser, t.url, 'H', host.token);
    await h.join();
    const g = await BrowserUser.open(browser, t.url, 'G', guest.token);
    await g.join('lobby');
    await h.openPeople();
    await h.page.getByRole('button', { name: 'Admit Gus Guest' }).first().click();
    await g.page.getByRole('button', { name: 'Leave' }).waitFor();
    await g.page.locator(`figure[data-participant-id="${host.participantId}"]`).waitFor();
    await h.page.locator(`figure[data-participant-id="${guest.participantId}"]`).waitFor();
    await Promise.all([h.close(), g.close()]);
  });

  it('explains a join link that is not valid', async () => {
    const x = await BrowserUser.open(browser, t.url, 'X', 'not-a-token');
    await x.page.getByRole('button', { name: 'Join meeting' }).click();
    await x.page.getByText('This join link is not valid').waitFor();
    await x.close();
  });

  it('reports no page errors', () => {
    for (const user of [a, b, c]) assert.deepEqual(user.consoleErrors, [], `${user.name}'s page`);
  });
});
