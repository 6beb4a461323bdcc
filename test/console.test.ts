import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Admin } from './support/admin.js';
import { startApp, TEST_ADMIN_KEY, type TestApp } from './support/app.js';
import { eventually, launchBrowser } from './support/browser.js';
import { ConsoleUser } from './support/console-page.js';
import { type Person, useRooms } from './support/room.js';

/** No media in this file: participants connect through the socket API. */
const ENV = {
  CONVENE_MEDIA_WORKERS: '1',
  CONVENE_RTC_MIN_PORT: '42500',
  CONVENE_RTC_MAX_PORT: '42549',
};

async function whisper(from: Person, to: Person, text: string): Promise<void> {
  const ack = await from.client.request('chat:send', {
    kind: 'private',
    to: to.participantId,
    text,
    clientMessageId: randomUUID(),
  });
  if (!ack.ok) throw new Error(`${from.name} could not whisper: ${ack.error.code}`);
}

describe('admin console in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const rooms = useRooms(() => t);
  const users: ConsoleUser[] = [];
  /** The audit:read key the admin creates in the console, for the compliance officer. */
  let auditKey = '';

  const open = async (name: string) => {
    const user = await ConsoleUser.open(browser, t.url, name);
    users.push(user);
    return user;
  };

  before(async () => {
    t = await startApp(ENV);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const user of users) await user.close();
    await browser?.close();
    await t?.close();
  });

  it('is served with the strict CSP and no third-party requests', async () => {
    const res = await fetch(`${t.url}/console`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    const ann = await open('ann');
    const foreign: string[] = [];
    ann.page.on('request', (r) => {
      if (
        !r.url().startsWith(t.url) &&
        !r.url().startsWith('blob:') &&
        !r.url().startsWith('data:')
      )
        foreign.push(r.url());
    });
    await ann.page.reload();
    await ann.page.getByRole('heading', { name: 'Sign in to the convene console' }).waitFor();
    await ann.checkView('signin');
    assert.deepEqual(foreign, []);
  });

  it('refuses a wrong key in words and keeps the key out of storage', async () => {
    const ann = users[0] ?? (await open('ann'));
    await ann.page.getByLabel('API key', { exact: true }).fill('not-a-key');
    await ann.page.getByRole('button', { name: 'Sign in' }).click();
    await ann.page.getByRole('alert').getByText('Unknown or revoked API key').waitFor();
    const stored = await ann.page.evaluate(() => ({
      session: sessionStorage.length,
      local: localStorage.length,
      cookie: document.cookie,
    }));
    assert.deepEqual(stored, { session: 0, local: 0, cookie: '' });
  });

  it('lets an admin create a room, hand out links, watch and control it live', async () => {
    const ann = users[0] ?? (await open('ann'));
    await ann.signIn(TEST_ADMIN_KEY);
    assert.deepEqual(await ann.navLinks(), ['Rooms', 'Audit', 'API keys']);
    const stored = await ann.page.evaluate(() => ({
      session: sessionStorage.getItem('convene.console.apiKey'),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    assert.deepEqual(stored, { session: TEST_ADMIN_KEY, local: 0, cookie: '' });
    await ann.page.getByRole('heading', { level: 1, name: 'Rooms' }).waitFor();
    await ann.checkView('rooms-empty');

    await ann.page.getByLabel('Room name').fill('Board meeting');
    await ann.page.getByLabel('Capacity').fill('12');
    await ann.page.getByLabel('Lobby: guests wait until admitted').check();
    await ann.page.getByRole('button', { name: 'Create room' }).click();
    await ann.page.getByRole('heading', { level: 1, name: 'Board meeting' }).waitFor();
    const roomId = await ann.page.locator('.details dd').last().textContent();
    assert.ok(roomId);
    const room = (await new Admin(t.url).get(`/api/v1/rooms/${roomId}`).expect(200)).body as {
      name: string;
      lobby: boolean;
      maxParticipants: number;
    };
    assert.deepEqual([room.name, room.lobby, room.maxParticipants], ['Board meeting', true, 12]);

    // A link for a guest: copy it with one click; it is the README's /join#token=... form.
    await ann.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await ann.page.getByLabel('Display name').fill('Gus');
    await ann.page.getByLabel('Role').selectOption('guest');
    await ann.page.getByRole('button', { name: 'Create join link' }).click();
    await ann.page.getByRole('button', { name: 'Copy guest link for Gus' }).click();
    const copied = await ann.page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, new RegExp(`^${t.url}/join#token=[\\w.-]+$`));
    await ann.page.getByRole('status').getByText('guest link for Gus copied').waitFor();

    // People come in through the socket API with tokens of that room.
    const testRoom = rooms.room(roomId);
    const hank = await testRoom.join('Hank', 'host');
    const gusToken = decodeURIComponent(copied.split('#token=')[1] ?? '');
    const gus = await rooms.connect(gusToken);
    const waiting = await gus.request('room:join', {});
    assert.ok(
      waiting.ok && 'status' in waiting && waiting.status === 'waiting',
      JSON.stringify(waiting),
    );

    const live = ann.page.getByRole('region', { name: 'Live' });
    await live.getByRole('row').filter({ hasText: 'Hank' }).getByText('host').waitFor();
    await live.getByRole('button', { name: 'Admit Gus' }).waitFor();
    await ann.checkView('room-live');
    await live.getByRole('button', { name: 'Admit Gus' }).click();
    await gus.waitFor('lobby:admitted');
    const joined = await gus.request('room:join', {});
    assert.ok(joined.ok && joined.status === 'joined', JSON.stringify(joined));
    await live.getByRole('row').filter({ hasText: 'Gus' }).getByText('guest').waitFor();
    await eventually(
      async () =>
        (await new Admin(t.url).get(`/api/v1/rooms/${roomId}/participants`)).body.length === 2,
      'Gus admitted',
    );
    await live.getByText('Nobody is waiting.').waitFor();

    await live.getByRole('button', { name: 'Remove Hank from the room' }).click();
    await eventually(() => !hank.client.socket.connected, 'Hank disconnected');
    await eventually(
      async () => (await live.getByRole('row').filter({ hasText: 'Hank' }).count()) === 0,
      'Hank gone from the live list',
    );

    // Back to the list: the room is there, found by name.
    await ann.go('Rooms');
    await ann.page.getByLabel('Filter by name').fill('board');
    await ann.page.getByRole('link', { name: 'Board meeting' }).waitFor();
    await ann.page.getByLabel('Filter by name').fill('nothing like it');
    await ann.page.getByText('No rooms match.').waitFor();
  });

  it('pages through rooms and closes one', async () => {
    const admin = new Admin(t.url);
    for (let i = 0; i < 26; i++) await admin.createRoom({ name: `Standup ${i}` });
    const ann = users[0];
    await ann.go('Rooms');
    await ann.page.getByLabel('Filter by name').fill('');
    await ann.page
      .locator('.summary')
      .getByText('25 of 25 loaded rooms shown; more on the server.')
      .waitFor();
    await ann.page.getByRole('button', { name: 'Load more' }).click();
    await ann.page.locator('.summary').getByText('27 of 27 loaded rooms shown.').waitFor();
    await ann.page.getByRole('link', { name: 'Standup 0', exact: true }).waitFor();
    await ann.checkView('rooms-list');
    await ann.page.getByRole('button', { name: 'Close room Standup 3', exact: true }).click();
    await ann.page.getByRole('status').getByText('Room Standup 3 closed').waitFor();
    const page = (await admin.get('/api/v1/rooms?status=closed').expect(200)).body as {
      items: { name: string }[];
    };
    assert.deepEqual(
      page.items.map((r) => r.name),
      ['Standup 3'],
    );
  });

  it('creates an audit key (secret shown once), lists and revokes keys', async () => {
    const ann = users[0];
    await ann.go('API keys');
    await ann.page.getByLabel('Key name').fill('Compliance team');
    await ann.page.getByLabel(/^audit:read/).check();
    await ann.page.getByRole('button', { name: 'Create key' }).click();
    await ann.page.getByRole('heading', { name: 'Key "Compliance team" created' }).waitFor();
    auditKey = await ann.page.getByRole('textbox', { name: 'secret key' }).inputValue();
    assert.ok(auditKey.length > 20);
    await ann.page.getByRole('cell', { name: 'Compliance team', exact: true }).waitFor();
    await ann.checkView('keys');

    await ann.page.getByLabel('Key name').fill('Old script');
    await ann.page.getByLabel(/^admin/).check();
    await ann.page.getByRole('button', { name: 'Create key' }).click();
    await ann.page.getByRole('heading', { name: 'Key "Old script" created' }).waitFor();
    const oldKey = await ann.page.getByRole('textbox', { name: 'secret key' }).inputValue();
    await ann.page.getByRole('button', { name: 'Revoke key Old script' }).click();
    await ann.page
      .getByRole('row')
      .filter({ hasText: 'Old script' })
      .getByText(/^Revoked/)
      .waitFor();
    await new Admin(t.url, oldKey).get('/api/v1/rooms').expect(401);
    // Nothing was asked without a scope.
    await ann.page.getByLabel('Key name').fill('No scope');
    await ann.page.getByRole('button', { name: 'Create key' }).click();
    await ann.page.getByRole('alert').getByText('Choose at least one scope.').waitFor();
  });

  it('lets a compliance officer find private messages, export them and verify the chain', async () => {
    assert.ok(auditKey, 'the admin created the audit key');
    const room = await rooms.create({ name: 'Deal room' });
    const pia = await room.join('Pia');
    const quinn = await room.join('Quinn');
    const ray = await room.join('Ray');
    await pia.say('Hello everyone');
    await whisper(pia, quinn, 'Numbers are final');
    await whisper(quinn, pia, 'Thanks, signing now');
    await whisper(ray, quinn, 'Lunch?');

    const olga = await open('olga');
    await olga.signIn(auditKey);
    assert.deepEqual(await olga.navLinks(), ['Audit']);
    await olga.page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    await olga.checkView('audit-empty');

    await olga.page.getByLabel('Room ID').fill(room.id);
    await olga.page.getByLabel('Kind').selectOption('private');
    await olga.page.getByLabel('Participant ID').fill(pia.participantId);
    await olga.page.getByRole('button', { name: 'Search' }).click();
    await olga.page.getByRole('status').getByText('2 messages found.').waitFor();
    const rowsOf = async () =>
      olga.page
        .locator('.audit-results tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) =>
            [...r.querySelectorAll('td')]
              .slice(2)
              .map((td) =>
                (
                  td.querySelector('.person')?.firstChild?.textContent ??
                  td.textContent ??
                  ''
                ).trim(),
              ),
          ),
        );
    assert.deepEqual(await rowsOf(), [
      ['private', 'Pia', 'Quinn', 'Numbers are final'],
      ['private', 'Quinn', 'Pia', 'Thanks, signing now'],
    ]);
    await olga.checkView('audit-results');

    // "Only Quinn": every private message Quinn sent or received, Ray's included.
    await olga.page
      .getByRole('button', { name: 'Only messages sent or received by Quinn' })
      .first()
      .click();
    await olga.page.getByRole('status').getByText('3 messages found.').waitFor();

    for (const format of ['ndjson', 'csv'] as const) {
      await olga.page.getByLabel('Format').selectOption(format);
      const [download] = await Promise.all([
        olga.page.waitForEvent('download'),
        olga.page.getByRole('button', { name: 'Download export' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `convene-audit-${room.id.slice(0, 8)}.${format}`);
      const text = await readFile(await download.path(), 'utf8');
      if (format === 'ndjson') {
        const lines = text
          .trim()
          .split('\n')
          .map(
            (l) =>
              JSON.parse(l) as { text: string; kind: string; to: { displayName: string } | null },
          );
        assert.deepEqual(
          lines.filter((l) => l.kind === 'private').map((l) => [l.text, l.to?.displayName]),
          [
            ['Numbers are final', 'Quinn'],
            ['Thanks, signing now', 'Pia'],
            ['Lunch?', 'Quinn'],
          ],
        );
      } else {
        assert.match(text.split('\n')[0] ?? '', /^id,room_id,seq,kind,sender_id/);
        assert.match(text, /Numbers are final/);
      }
    }

    await olga.page.getByRole('button', { name: 'Verify chain' }).click();
    await olga.page.getByText(/^Valid — 4 messages checked/).waitFor();
    const expected = (
      await new Admin(t.url, auditKey).get(`/api/v1/rooms/${room.id}/messages/verify`).expect(200)
    ).body as { headSeq: number; headHash: string; valid: boolean };
    assert.equal(
      await olga.page.getByRole('textbox', { name: 'head seq' }).inputValue(),
      String(expected.headSeq),
    );
    assert.equal(
      await olga.page.getByRole('textbox', { name: 'head hash' }).inputValue(),
      expected.headHash,
    );
    await olga.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await olga.page.getByRole('button', { name: 'Copy chain head (JSON)' }).click();
    assert.deepEqual(JSON.parse(await olga.page.evaluate(() => navigator.clipboard.readText())), {
      headSeq: expected.headSeq,
      headHash: expected.headHash,
    });
    await olga.checkView('audit-verified');

    // Rooms and keys are not for this key: no link, and the page says so.
    await olga.page.evaluate(() => (location.hash = '#rooms'));
    await olga.page.getByRole('heading', { name: 'Not available with this key' }).waitFor();
    assert.deepEqual(olga.pageErrors, []);
  });

  it('shows an admin-only key no audit pages, and the API refuses them too', async () => {
    const created = (
      await new Admin(t.url)
        .post('/api/v1/api-keys', { name: 'IT desk', scopes: ['admin'] })
        .expect(201)
    ).body as { key: string };
    const ivan = await open('ivan');
    await ivan.signIn(created.key);
    assert.deepEqual(await ivan.navLinks(), ['Rooms', 'API keys']);
    await ivan.page.evaluate(() => (location.hash = '#audit'));
    await ivan.page.getByRole('heading', { name: 'Not available with this key' }).waitFor();
    assert.equal(await ivan.page.getByRole('button', { name: 'Verify chain' }).count(), 0);
    await ivan.checkView('audit-refused');
    const roomId = await new Admin(t.url).createRoom();
    const asIvan = new Admin(t.url, created.key);
    for (const path of [
      `/api/v1/rooms/${roomId}/messages`,
      `/api/v1/rooms/${roomId}/messages/verify`,
      `/api/v1/audit/messages/export?roomId=${roomId}`,
    ]) {
      const res = await asIvan.get(path).expect(403);
      assert.equal((res.body as { error: { code: string } }).error.code, 'FORBIDDEN');
    }
    assert.deepEqual(ivan.pageErrors, []);
  });
});
