import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { WebhookRetention } from '../src/webhooks/webhook-retention.js';

const SECRET = 'test-webhook-secret-0123456789abcdef';
const BACKOFF_MS = 100;
const MAX_ATTEMPTS = 4;

type Verify = (secret: string, headers: IncomingHttpHeaders, rawBody: string) => boolean;

/** README's verification function exactly as documented (not the server's own code), as a module. */
async function readmeVerifier(): Promise<Verify> {
  const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Verifying a webhook'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code?.includes('function verifyConveneWebhook'))
    throw new Error('README has no verification snippet');
  const dir = await mkdtemp(join(tmpdir(), 'convene-webhook-readme-'));
  const file = join(dir, 'verify.mjs');
  await writeFile(file, `${code}\nexport { verifyConveneWebhook };\n`);
  try {
    const mod = (await import(pathToFileURL(file).href)) as { verifyConveneWebhook: Verify };
    return mod.verifyConveneWebhook;
  } finally {
    await rm(dir, { recursive: true });
  }
}

interface Arrival {
  path: string;
  id: string;
  type: string;
  body: string;
  event: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  at: number;
  headers: IncomingHttpHeaders;
  signed: boolean;
  status: number;
}

/**
 * A webhook endpoint on loopback with two paths: `/ok` answers 204; `/flaky` answers 500 to the
 * first `flakyFailures` attempts of each event (fixed when it first sees the event), then 204.
 */
class Receiver {
  readonly arrivals: Arrival[] = [];
  flakyFailures = 2;
  /** While true, `/flaky` holds every request without answering (recorded with status 0). */
  hangFlaky = false;
  private readonly budgets = new Map<string, number>();
  private server!: Server;
  private verify!: Verify;
  base = '';

  async start(): Promise<void> {
    this.verify = await readmeVerifier();
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const path = req.url ?? '';
        const event = JSON.parse(body) as Arrival['event'];
        const id = String(req.headers['convene-webhook-id']);
        const signed = this.verify(SECRET, req.headers, body);
        const status = this.answer(path, id, signed);
        this.arrivals.push({
          path,
          id,
          type: event.type,
          body,
          event,
          at: Date.now(),
          headers: req.headers,
          signed,
          status,
        });
        // 0: held without an answer, until the sender gives up or the receiver stops.
        if (status !== 0) res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The status for an attempt: 400 unsigned, 500 while an event's failures last, 0 to hang. */
  private answer(path: string, id: string, signed: boolean): number {
    if (!signed) return 400;
    if (path !== '/flaky') return 204;
    if (this.hangFlaky) return 0;
    if (!this.budgets.has(id)) this.budgets.set(id, this.flakyFailures);
    const left = this.budgets.get(id) ?? 0;
    if (left === 0) return 204;
    this.budgets.set(id, left - 1);
    return 500;
  }

  /** From now on, `/flaky` accepts this event at once. */
  recover(eventId: string): void {
    this.budgets.set(eventId, 0);
  }

  /** Arrivals at `path` of events matching `match`. */
  at(path: string, match: (a: Arrival) => boolean = () => true): Arrival[] {
    return this.arrivals.filter((a) => a.path === path && match(a));
  }

  /** The one event of `type` at `path` whose data has these fields (once it has arrived). */
  async one(path: string, type: string, data: Record<string, unknown>): Promise<Arrival> {
    const matches = (a: Arrival) =>
      a.type === type && Object.entries(data).every(([k, v]) => a.event.data[k] === v);
    return eventually(
      () => this.at(path, (a) => matches(a) && a.status === 204)[0],
      `${type} ${JSON.stringify(data)} at ${path}`,
      30_000,
    );
  }
}

const receiver = new Receiver();
const env = () => ({
  CONVENE_WEBHOOK_URLS: `${receiver.base}/ok, ${receiver.base}/flaky`,
  CONVENE_WEBHOOK_SECRET: SECRET,
  CONVENE_WEBHOOK_BACKOFF_MS: String(BACKOFF_MS),
  CONVENE_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  CONVENE_WEBHOOK_POLL_MS: '50',
  CONVENE_WEBHOOK_TIMEOUT_MS: '2000',
});

interface DeliveryView {
  id: number;
  eventId: string;
  event: string;
  url: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  payload: { id: string; data: Record<string, unknown> };
}

async function deliveriesOf(admin: Admin, eventId: string): Promise<DeliveryView[]> {
  const res = await admin.get('/api/v1/webhooks/deliveries?limit=500').expect(200);
  return (res.body as { items: DeliveryView[] }).items.filter((d) => d.eventId === eventId);
}

describe('webhooks', () => {
  let t: TestApp;
  const rooms = useRooms(() => t);

  before(async () => {
    await receiver.start();
    t = await startApp(env());
  });
  after(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('sends every event type, signed, with ids and metadata but never a message text', async () => {
    const room = await rooms.create({ name: 'Board meeting' });
    const created = await receiver.one('/ok', 'room.created', { roomId: room.id });
    assert.deepEqual(created.event.data, {
      roomId: room.id,
      name: 'Board meeting',
      lobby: false,
      maxParticipants: null,
    });

    const alice = await room.join('Alice', 'host');
    const bob = await room.join('Bob');
    for (const p of [alice, bob])
      await receiver.one('/ok', 'participant.joined', {
        roomId: room.id,
        participantId: p.participantId,
      });

    const secretText = `merger plans ${randomUUID()}`;
    const ack = await alice.client.request('chat:send', {
      kind: 'private',
      to: bob.participantId,
      text: secretText,
      clientMessageId: randomUUID(),
    });
    assert.ok(ack.ok);
    const audited = await receiver.one('/ok', 'chat.message_audited', { roomId: room.id });
    const stored = await new Admin(t.url)
      .get(`/api/v1/rooms/${room.id}/messages`)
      .expect(200)
      .then((r) => (r.body as { items: { id: string; hash: string; sentAt: string }[] }).items[0]);
    assert.deepEqual(audited.event.data, {
      roomId: room.id,
      messageId: stored.id,
      kind: 'private',
      seq: 1,
      hash: stored.hash,
      senderId: alice.participantId,
      recipientId: bob.participantId,
      sentAt: stored.sentAt,
    });

    assert.ok((await bob.client.request('room:leave', {})).ok);
    const left = await receiver.one('/ok', 'participant.left', {
      participantId: bob.participantId,
    });
    assert.equal(left.event.data.reason, 'left');

    await new Admin(t.url).delete(`/api/v1/rooms/${room.id}`).expect(204);
    await receiver.one('/ok', 'participant.left', {
      participantId: alice.participantId,
      reason: 'room-closed',
    });
    await receiver.one('/ok', 'room.closed', { roomId: room.id });

    // The documented check refuses a changed body, another secret, and a stale timestamp.
    const verify = await readmeVerifier();
    const h = created.headers;
    assert.equal(verify(SECRET, h, created.body), true);
    assert.equal(verify(SECRET, h, created.body.replace('Board', 'Bored')), false);
    assert.equal(verify(`${SECRET}!`, h, created.body), false);
    const old = {
      ...h,
      'convene-webhook-timestamp': String(Number(h['convene-webhook-timestamp']) - 301),
    };
    assert.equal(verify(SECRET, old, created.body), false);

    const mine = receiver.arrivals.filter((a) => a.body.includes(room.id));
    assert.ok(
      mine.every((a) => a.signed),
      'every POST carries a valid signature',
    );
    assert.ok(
      mine.every((a) => !a.body.includes('merger plans')),
      'no message text is ever sent',
    );
    for (const a of mine) {
      assert.equal(a.event.id, a.id, 'Convene-Webhook-Id is the event id');
      assert.equal(Number.isNaN(Date.parse(a.event.createdAt)), false);
    }
  });

  it('retries a failing endpoint with growing waits and the same webhook id until it answers 2xx', async () => {
    receiver.flakyFailures = 2;
    const room = await rooms.create();
    const delivered = await receiver.one('/flaky', 'room.created', { roomId: room.id });
    const attempts = receiver.at('/flaky', (a) => a.id === delivered.id);
    assert.deepEqual(
      attempts.map((a) => a.status),
      [500, 500, 204],
    );
    assert.ok(attempts.every((a) => a.signed && a.body === delivered.body));
    // Equal jitter: each wait is at least half the nominal one (base, then twice the base).
    assert.ok(attempts[1].at - attempts[0].at >= BACKOFF_MS / 2, 'first retry waited');
    assert.ok(attempts[2].at - attempts[1].at >= BACKOFF_MS, 'second retry waited longer');
    // The healthy endpoint got the same event once, at once.
    assert.equal(receiver.at('/ok', (a) => a.id === delivered.id).length, 1);

    const rows = await eventually(async () => {
      const d = await deliveriesOf(new Admin(t.url), delivered.id);
      return d.length === 2 && d.every((x) => x.state === 'delivered') && d;
    }, 'both deliveries recorded as delivered');
    const flaky = rows.find((d) => d.url.endsWith('/flaky'));
    assert.equal(flaky?.attempts, 3);
    assert.equal(flaky?.lastStatus, 204);
  });

  it('gives up after the last attempt; the admin API lists the failure and retries it', async () => {
    const admin = new Admin(t.url);
    receiver.flakyFailures = 1000;
    const room = await rooms.create();
    const okArrival = await receiver.one('/ok', 'room.created', { roomId: room.id });
    const failed = await eventually(
      async () => {
        const [d] = (await deliveriesOf(admin, okArrival.id)).filter(
          (x) => x.url.endsWith('/flaky') && x.state === 'failed',
        );
        return d;
      },
      'the flaky delivery to fail',
      30_000,
    );
    assert.equal(failed.attempts, MAX_ATTEMPTS);
    assert.equal(failed.lastStatus, 500);
    assert.equal(failed.lastError, 'HTTP 500');
    assert.equal(receiver.at('/flaky', (a) => a.id === okArrival.id).length, MAX_ATTEMPTS);

    const list = await admin
      .get('/api/v1/webhooks/deliveries?state=failed&event=room.created')
      .expect(200);
    const items = (list.body as { items: DeliveryView[] }).items;
    assert.ok(items.some((d) => d.id === failed.id));
    assert.ok(items.every((d) => d.state === 'failed' && d.event === 'room.created'));
    const one = await admin.get(`/api/v1/webhooks/deliveries/${failed.id}`).expect(200);
    assert.equal((one.body as DeliveryView).payload.data.roomId, room.id);

    // Only a failed delivery can be retried.
    const delivered = (await deliveriesOf(admin, okArrival.id)).find((d) => d.url.endsWith('/ok'));
    const conflict = await admin
      .post(`/api/v1/webhooks/deliveries/${delivered?.id}/retry`)
      .expect(409);
    assert.equal(conflict.body.error.code, 'WEBHOOK_DELIVERY_NOT_FAILED');
    const missing = await admin.post('/api/v1/webhooks/deliveries/999999999/retry').expect(404);
    assert.equal(missing.body.error.code, 'WEBHOOK_DELIVERY_NOT_FOUND');

    receiver.flakyFailures = 0;
    receiver.recover(okArrival.id);
    const retried = await admin.post(`/api/v1/webhooks/deliveries/${failed.id}/retry`).expect(200);
    assert.equal((retried.body as DeliveryView).state, 'pending');
    assert.equal((retried.body as DeliveryView).attempts, 0);
    await receiver.one('/flaky', 'room.created', { roomId: room.id });
    await eventually(async () => {
      const d = await admin.get(`/api/v1/webhooks/deliveries/${failed.id}`).expect(200);
      const body = d.body as DeliveryView;
      return body.state === 'delivered' && body.attempts === 1;
    }, 'the retried delivery to be delivered');
  });

  it('pages the list newest first and refuses bad filters', async () => {
    const admin = new Admin(t.url);
    const first = await admin.get('/api/v1/webhooks/deliveries?limit=2').expect(200);
    const page1 = first.body as { items: DeliveryView[]; nextCursor: number };
    assert.equal(page1.items.length, 2);
    assert.ok(page1.items[0].id > page1.items[1].id);
    assert.equal(page1.nextCursor, page1.items[1].id);
    const second = await admin
      .get(`/api/v1/webhooks/deliveries?limit=2&cursor=${page1.nextCursor}`)
      .expect(200);
    assert.ok(
      (second.body as { items: DeliveryView[] }).items.every((d) => d.id < page1.nextCursor),
    );
    await admin.get('/api/v1/webhooks/deliveries?state=lost').expect(400);
    await admin.get('/api/v1/webhooks/deliveries/abc').expect(400);
    await admin.get('/api/v1/webhooks/deliveries/999999999999999999999').expect(400);
    await admin.get('/api/v1/webhooks/deliveries/0').expect(404);
  });

  it('is for admin keys only', async () => {
    await new Admin(t.url, 'cvk_nope').get('/api/v1/webhooks/deliveries').expect(401);
  });

  it('keeps pending deliveries across a restart: another app on the same database sends them', async () => {
    receiver.hangFlaky = true;
    const room = await rooms.create();
    const okArrival = await receiver.one('/ok', 'room.created', { roomId: room.id });
    // The flaky endpoint holds the first attempt unanswered while the app stops.
    await eventually(
      () => receiver.at('/flaky', (a) => a.id === okArrival.id).length >= 1,
      'an attempt in flight',
    );
    rooms.closeAll();
    await t.app.close();
    receiver.hangFlaky = false;
    receiver.recover(okArrival.id);
    const pending = await t.db.query<{ state: string }>(
      `SELECT state FROM webhook_deliveries WHERE event_id = $1 AND url LIKE '%/flaky'`,
      [okArrival.id],
    );
    assert.deepEqual(pending, [{ state: 'pending' }]);

    const db = t.db;
    const next = await startApp(env(), { databaseUrl: () => db.url });
    t = {
      ...next,
      db,
      close: async () => {
        await next.close();
        await db.drop();
      },
    };
    await receiver.one('/flaky', 'room.created', { roomId: room.id });
    const arrivals = receiver.at('/flaky', (a) => a.id === okArrival.id);
    assert.ok(arrivals.length >= 2);
    assert.equal(arrivals.filter((a) => a.status === 204).length, 1);
  });

  it('two apps on one database deliver each event exactly once', async () => {
    receiver.flakyFailures = 1;
    const db = t.db;
    const other = await startApp(env(), { databaseUrl: () => db.url });
    try {
      const admins = [new Admin(t.url), new Admin(other.url)];
      const ids = await Promise.all(
        Array.from({ length: 12 }, (_, i) => admins[i % 2].createRoom({ name: `Room ${i}` })),
      );
      const events = await Promise.all(
        ids.map((roomId) => receiver.one('/flaky', 'room.created', { roomId })),
      );
      for (const path of ['/ok', '/flaky']) {
        for (const e of events) {
          const arrivals = receiver.at(path, (a) => a.id === e.id);
          assert.equal(arrivals.filter((a) => a.status === 204).length, 1, `${path} ${e.id}`);
          assert.equal(arrivals.length, path === '/ok' ? 1 : 2, `${path} ${e.id} attempts`);
        }
      }
      // Both senders took part (each counts what it sent).
      const sent = await Promise.all(
        [t, other].map(async (app) => {
          const text = await fetch(app.metricsUrl).then((r) => r.text());
          return text
            .split('\n')
            .filter((l) => l.startsWith('convene_webhook_attempts_total'))
            .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
        }),
      );
      assert.ok(
        sent.every((n) => n > 0),
        `attempts per app: ${sent.join(', ')}`,
      );
    } finally {
      await other.close();
    }
  });

  it('an endpoint that hangs does not hold up deliveries to a healthy one', async () => {
    // Requests to the hanging endpoint would wait a minute: longer than this test may take.
    const slow = await startApp({ ...env(), CONVENE_WEBHOOK_TIMEOUT_MS: '60000' });
    receiver.hangFlaky = true;
    try {
      const admin = new Admin(slow.url);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push(await admin.createRoom({ name: `Busy ${i}` }));
      await Promise.all(ids.map((roomId) => receiver.one('/ok', 'room.created', { roomId })));
      const held = receiver.at('/flaky', (a) => ids.includes(String(a.event.data.roomId)));
      assert.ok(held.length > 0 && held.every((a) => a.status === 0), 'the hanging ones are held');
    } finally {
      receiver.hangFlaky = false;
      await slow.close();
    }
  });

  it('deletes finished deliveries past the retention period, never pending ones', async () => {
    const [pending] = await t.db.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (event_id, event_type, url, payload, state, next_attempt_at, created_at)
       VALUES (gen_random_uuid(), 'room.closed', 'http://127.0.0.1:9/', '{}', 'pending', now() + interval '1 day', now() - interval '400 days')
       RETURNING id`,
    );
    const finished = async () =>
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE state <> 'pending'`,
        )
      )[0].n;
    const before = await finished();
    assert.ok(before > 0);
    const retention = t.app.get(WebhookRetention);
    assert.equal(await retention.purge(), 0, 'nothing is past 30 days yet');
    assert.equal(await retention.purge(new Date(Date.now() + 60_000)), before);
    assert.equal(await finished(), 0);
    const left = await t.db.query(`SELECT id FROM webhook_deliveries WHERE id = $1`, [pending.id]);
    assert.equal(left.length, 1);
  });
});
