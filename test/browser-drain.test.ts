import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Admin } from './support/admin.js';
import { BrowserUser, eventually, launchBrowser } from './support/browser.js';
import { TestCluster } from './support/cluster.js';
import { LoadBalancer } from './support/load-balancer.js';

// A rolling update as the person sees it in the web client: two real nodes behind a load
// balancer that routes by readiness; the node Ana is on gets SIGTERM and drains. Her page moves
// by itself (server:draining) through the balancer to the other node and stays in the meeting.

describe('web client in Chromium, across a rolling update', () => {
  let cluster: TestCluster;
  let balancer: LoadBalancer;
  let browser: Browser;
  const users: BrowserUser[] = [];

  before(async () => {
    cluster = await TestCluster.start(2, { CONVENE_DRAIN_SECONDS: '10' });
    balancer = await LoadBalancer.start(() => cluster.nodes);
    browser = await launchBrowser();
  });
  after(async () => {
    await Promise.all(users.map((u) => u.close()));
    await browser?.close();
    await balancer?.close();
    await cluster?.close();
  });

  it('the person on the draining node stays in the meeting: the page moves to the other node, keeps the chat and carries on', async () => {
    const admin = new Admin(cluster.node(1).url);
    const roomId = await admin.createRoom({ name: 'Rolling update' });
    const anaToken = await admin.issueToken(roomId, 'Ana', 'host');
    const benToken = await admin.issueToken(roomId, 'Ben');
    // Ana through the balancer (to node 1, the first ready one); Ben straight to node 2.
    const ana = await BrowserUser.open(browser, balancer.url, 'Ana', anaToken.token);
    const ben = await BrowserUser.open(browser, cluster.node(1).url, 'Ben', benToken.token);
    users.push(ana, ben);
    await ana.join();
    await ben.join();
    await ana.openChat();
    await ben.openChat();
    await ana.send('before the update');
    await ben.page.locator('.message-log').getByText('before the update').waitFor();

    const draining = cluster.node(0);
    draining.terminate();
    await eventually(
      async () => (await ana.events()).some((e) => e.event === 'server:draining'),
      'Ana is told her node drains',
      15_000,
    );
    const exit = await draining.exit(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, draining.log());

    // She is back in the room, on node 2, with the chat as it was, and it still works.
    await ana.page.getByText('Connection lost. Reconnecting…').waitFor({ state: 'detached' });
    assert.equal(await ana.phase(), 'room');
    // She moved by herself: the server never had to end her connection.
    assert.ok(!(await ana.events()).some((e) => e.event === 'session:ended'));
    assert.deepEqual(await ana.messageTexts(), ['before the update']);
    await ana.send('after the update');
    await ben.page.locator('.message-log').getByText('after the update').waitFor();
    await ben.send('welcome back');
    await ana.page.locator('.message-log').getByText('welcome back').waitFor();
    const present = await admin.get(`/api/v1/rooms/${roomId}/participants`).expect(200);
    assert.deepEqual((present.body as { displayName: string }[]).map((p) => p.displayName).sort(), [
      'Ana',
      'Ben',
    ]);
    assert.equal(await ben.phase(), 'room');
    assert.deepEqual(ana.consoleErrors, []);
  });
});
