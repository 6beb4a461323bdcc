import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { BrowserUser, launchBrowser } from './support/browser.js';
import { type ClusterNode, standaloneNode } from './support/cluster.js';
import { ConsoleUser } from './support/console-page.js';
import { TestDatabase } from './support/database.js';

/**
 * A newcomer's path, as the README's quick start tells it: start convene in development with no
 * admin key configured, take the key it prints, sign in to the console, create a room, hand out
 * a host link and a guest link, admit the guest from the console, and both see each other.
 */
describe('newcomer: from a first start to a meeting through the console', () => {
  let db: TestDatabase;
  let dir: string;
  let node: ClusterNode;
  let browser: Browser;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    db = await TestDatabase.create();
    dir = mkdtempSync(join(tmpdir(), 'convene-newcomer-'));
    node = await standaloneNode('newcomer', 'development', db.url, dir, {
      CONVENE_RTC_MIN_PORT: '42550',
      CONVENE_RTC_MAX_PORT: '42599',
    });
    await node.start();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await browser?.close();
    await node?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with the printed key, creates a room, and host and guest see each other', async () => {
    const printed = node.log();
    const line =
      printed.split('\n').find((l) => l.includes('admin API key') && l.includes('/console')) ??
      printed.split('\n').find((l) => l.includes('admin API key'));
    const key = /admin API key: (\S+)/.exec(printed)?.[1];
    const address = /(http:\/\/\S+\/console)/.exec(printed)?.[1];
    assert.ok(line && key && address, `no admin key and console address in:\n${printed}`);
    assert.equal(address, `${node.url}/console`);

    const admin = await ConsoleUser.open(browser, node.url, 'admin');
    closers.push(() => admin.close());
    await admin.signIn(key);
    await admin.page.getByLabel('Room name').fill('First meeting');
    await admin.page.getByLabel('Lobby: guests wait until admitted').check();
    await admin.page.getByRole('button', { name: 'Create room' }).click();
    await admin.page.getByRole('heading', { level: 1, name: 'First meeting' }).waitFor();

    const link = async (name: string, role: 'host' | 'guest') => {
      await admin.page.getByLabel('Display name').fill(name);
      await admin.page.getByLabel('Role').selectOption(role);
      await admin.page.getByRole('button', { name: 'Create join link' }).click();
      const issued = admin.page.locator('.issued-link', { hasText: `${role} link for ${name}` });
      const url = await issued.getByRole('textbox').inputValue();
      const participantId = await issued.getAttribute('data-participant-id');
      assert.ok(participantId);
      const token = decodeURIComponent(/#token=([^&]+)$/.exec(url)?.[1] ?? '');
      assert.ok(url.startsWith(`${node.url}/join#token=`), url);
      return { token, participantId };
    };
    const hostLink = await link('Hana', 'host');
    const guestLink = await link('Gil', 'guest');

    const hana = await BrowserUser.open(browser, node.url, 'Hana', hostLink.token);
    closers.push(() => hana.close());
    const gil = await BrowserUser.open(browser, node.url, 'Gil', guestLink.token);
    closers.push(() => gil.close());
    await hana.join('room');
    await gil.join('lobby');

    const live = admin.page.getByRole('region', { name: 'Live' });
    await live.getByRole('button', { name: 'Admit Gil' }).click();
    await gil.page.getByRole('button', { name: 'Leave' }).waitFor({ timeout: 20_000 });

    const seenByHana = await hana.waitForPlayingVideo(guestLink.participantId, 30_000);
    const seenByGil = await gil.waitForPlayingVideo(hostLink.participantId, 30_000);
    assert.ok(seenByHana.width > 0 && seenByGil.width > 0);

    // The console shows both, sending; muting Hana's microphone from there shows as muted.
    const hanaRow = live.getByRole('row').filter({ hasText: 'Hana' });
    await hanaRow.getByRole('button', { name: 'Mute microphone: Hana' }).click();
    await hanaRow.getByText('Muted', { exact: true }).waitFor();
    await live.getByRole('row').filter({ hasText: 'Gil' }).getByText('guest').waitFor();
    await admin.checkView('newcomer-live');
    await hana.screenshot('console-newcomer-host.png');
    await gil.screenshot('console-newcomer-guest.png');
    assert.deepEqual(admin.pageErrors, []);
  });
});
