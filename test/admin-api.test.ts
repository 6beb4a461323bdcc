import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Admin } from './support/admin.js';
import { startApp, TEST_ADMIN_KEY, TestApp } from './support/app.js';

describe('admin API keys', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp();
    admin = new Admin(t.url);
  });
  after(() => t.close());

  it('refuses requests without a key, with an unknown key, and with a malformed key', async () => {
    const missing = await request(t.url).get('/api/v1/rooms').expect(401);
    assert.equal(missing.body.error.code, 'UNAUTHENTICATED');
    assert.match(missing.body.error.message, /X-API-Key/);
    const unknown = await request(t.url)
      .get('/api/v1/rooms')
      .set('X-API-Key', 'cvn_AAAAAAAAAAAA_' + 'x'.repeat(43))
      .expect(401);
    assert.equal(unknown.body.error.code, 'UNAUTHENTICATED');
    await request(t.url).get('/api/v1/rooms').set('X-API-Key', 'nonsense').expect(401);
  });

  it('creates a key whose secret is shown once and stored only as a hash', async () => {
    const created = await admin
      .post('/api/v1/api-keys', { name: 'HR integration', scopes: ['admin'] })
      .expect(201);
    const { key, id, prefix } = created.body;
    assert.match(key, /^cvn_[A-Za-z0-9]{12}_/);
    assert.ok(key.includes(prefix));
    const list = await admin.get('/api/v1/api-keys').expect(200);
    const listed = list.body.find((k: { id: string }) => k.id === id);
    assert.equal(listed.name, 'HR integration');
    assert.equal(listed.key, undefined);
    assert.ok(!JSON.stringify(list.body).includes(key));
    const rows = await t.db.query('SELECT * FROM api_keys WHERE id = $1', [id]);
    assert.ok(!JSON.stringify(rows).includes(key.slice(17)), 'secret stored in plain text');
    assert.match(String(rows[0].secret_hash), /^[0-9a-f]{64}$/);
    await request(t.url).get('/api/v1/rooms').set('X-API-Key', key).expect(200);
    const after = await t.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id]);
    await new Promise((r) => setTimeout(r, 100));
    const again = await t.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id]);
    assert.ok(
      after[0].last_used_at !== null || again[0].last_used_at !== null,
      'last use not recorded',
    );
  });

  it('refuses a revoked key', async () => {
    const { body } = await admin
      .post('/api/v1/api-keys', { name: 'temp', scopes: ['admin'] })
      .expect(201);
    await request(t.url).get('/api/v1/rooms').set('X-API-Key', body.key).expect(200);
    await admin.delete(`/api/v1/api-keys/${body.id}`).expect(204);
    const res = await request(t.url).get('/api/v1/rooms').set('X-API-Key', body.key).expect(401);
    assert.equal(res.body.error.code, 'UNAUTHENTICATED');
    const listed = (await admin.get('/api/v1/api-keys')).body.find(
      (k: { id: string }) => k.id === body.id,
    );
    assert.ok(listed.revokedAt);
  });

  it('refuses a key without the route scope', async () => {
    const { body } = await admin
      .post('/api/v1/api-keys', { name: 'auditor', scopes: ['audit:read'] })
      .expect(201);
    const res = await request(t.url)
      .post('/api/v1/rooms')
      .set('X-API-Key', body.key)
      .send({ name: 'x' })
      .expect(403);
    assert.equal(res.body.error.code, 'FORBIDDEN');
    assert.match(res.body.error.message, /admin/);
  });

  it('a key can only grant scopes it has: an admin-only key cannot mint an audit:read key', async () => {
    const { body: adminOnly } = await admin
      .post('/api/v1/api-keys', { name: 'provisioning', scopes: ['admin'] })
      .expect(201);
    const asAdminOnly = new Admin(t.url, adminOnly.key);
    for (const scopes of [['audit:read'], ['admin', 'audit:read']]) {
      const refused = await asAdminOnly
        .post('/api/v1/api-keys', { name: 'escalation', scopes })
        .expect(403);
      assert.equal(refused.body.error.code, 'FORBIDDEN');
      assert.match(refused.body.error.message, /audit:read/);
    }
    const names = (await admin.get('/api/v1/api-keys').expect(200)).body.map(
      (k: { name: string }) => k.name,
    );
    assert.ok(!names.includes('escalation'), 'a refused key was stored');
    // Within its own scopes it may still create keys...
    const sibling = await asAdminOnly
      .post('/api/v1/api-keys', { name: 'sibling', scopes: ['admin'] })
      .expect(201);
    assert.deepEqual(sibling.body.scopes, ['admin']);
    // ...and the bootstrap key, which has both scopes, may grant either or both.
    const both = await admin
      .post('/api/v1/api-keys', { name: 'compliance', scopes: ['admin', 'audit:read'] })
      .expect(201);
    assert.deepEqual(both.body.scopes, ['admin', 'audit:read']);
    const roomId = await admin.createRoom();
    const verified = await request(t.url)
      .get(`/api/v1/rooms/${roomId}/messages/verify`)
      .set('X-API-Key', both.body.key)
      .expect(200);
    assert.equal(verified.body.valid, true);

    // Nor can it take audit access away: it may revoke only keys within its own scopes.
    const cutOff = await asAdminOnly.delete(`/api/v1/api-keys/${both.body.id}`).expect(403);
    assert.equal(cutOff.body.error.code, 'FORBIDDEN');
    assert.match(cutOff.body.error.message, /audit:read/);
    await request(t.url)
      .get(`/api/v1/rooms/${roomId}/messages/verify`)
      .set('X-API-Key', both.body.key)
      .expect(200);
    await asAdminOnly.delete(`/api/v1/api-keys/${sibling.body.id}`).expect(204);
    await admin.delete(`/api/v1/api-keys/${both.body.id}`).expect(204);
    await request(t.url)
      .get(`/api/v1/rooms/${roomId}/messages/verify`)
      .set('X-API-Key', both.body.key)
      .expect(401);
  });

  it('validates key creation and revocation input', async () => {
    const bad = await admin.post('/api/v1/api-keys', { name: 'x', scopes: ['root'] }).expect(400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    assert.match(bad.body.error.message, /scopes/);
    await admin.post('/api/v1/api-keys', { name: 'x', scopes: [] }).expect(400);
    const unknown = await admin
      .delete('/api/v1/api-keys/00000000-0000-4000-8000-000000000000')
      .expect(404);
    assert.equal(unknown.body.error.code, 'API_KEY_NOT_FOUND');
    await admin.delete('/api/v1/api-keys/not-a-uuid').expect(400);
  });
});

describe('admin API rooms', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp();
    admin = new Admin(t.url);
  });
  after(() => t.close());

  it('creates a room with defaults', async () => {
    const res = await admin.post('/api/v1/rooms', { name: '  Board meeting ' }).expect(201);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.name, 'Board meeting');
    assert.equal(res.body.status, 'open');
    assert.equal(res.body.maxParticipants, null);
    assert.equal(res.body.lobby, false);
    assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
  });

  it('rejects malformed bodies: unknown fields, wrong types, bad JSON, missing name', async () => {
    for (const body of [
      { name: 'x', color: 'red' },
      { name: 5 },
      {},
      { name: 'x', maxParticipants: 0 },
      { name: 'x', lobby: 'yes' },
    ]) {
      const res = await admin.post('/api/v1/rooms', body).expect(400);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED', JSON.stringify(body));
    }
    const unknown = await admin.post('/api/v1/rooms', { name: 'x', color: 'red' });
    assert.match(unknown.body.error.message, /color/);
    const badJson = await request(t.url)
      .post('/api/v1/rooms')
      .set('X-API-Key', TEST_ADMIN_KEY)
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    assert.equal(badJson.body.error.code, 'VALIDATION_FAILED');
    assert.ok(badJson.body.error.requestId);
    assert.ok(!JSON.stringify(badJson.body).includes('at '), 'stack trace leaked');
  });

  it('lists rooms newest first with cursor pagination and a status filter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await admin.createRoom({ name: `page-${i}` }));
    await admin.delete(`/api/v1/rooms/${ids[1]}`).expect(204);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await admin
        .get(`/api/v1/rooms?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      assert.ok(res.body.items.length <= 2);
      seen.push(...res.body.items.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'a room appeared on two pages');
    const order = ids.map((id) => seen.indexOf(id));
    assert.deepEqual(
      [...order].sort((a, b) => b - a),
      order,
      'not newest first',
    );
    const closed = await admin.get('/api/v1/rooms?status=closed').expect(200);
    assert.deepEqual(
      closed.body.items.map((r: { id: string }) => r.id),
      [ids[1]],
    );
    await admin.get('/api/v1/rooms?status=deleted').expect(400);
    await admin.get('/api/v1/rooms?limit=0').expect(400);
    const badCursor = await admin.get('/api/v1/rooms?cursor=garbage').expect(400);
    assert.match(badCursor.body.error.message, /cursor/);
  });

  it('pages through rooms created in the same millisecond without skipping any', async () => {
    // created_at has microseconds; rooms a few µs apart share a millisecond. Newest of all (2099).
    const inserted = await t.db.query<{ id: string; name: string }>(
      `INSERT INTO rooms (name, status, lobby, created_at)
       SELECT 'same-ms-' || n, 'open', false, '2099-01-01T00:00:00.123000Z'::timestamptz + n * interval '1 microsecond'
       FROM generate_series(1, 4) AS n RETURNING id, name`,
    );
    const newestFirst = inserted.sort((a, b) => b.name.localeCompare(a.name)).map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < inserted.length; page++) {
      const res: request.Response = await admin
        .get(`/api/v1/rooms?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      assert.equal(res.body.items.length, 1);
      seen.push(res.body.items[0].id);
      cursor = res.body.nextCursor;
      assert.ok(cursor, 'no next page');
    }
    assert.deepEqual(seen, newestFirst, 'a room in the same millisecond was skipped or repeated');
  });

  it('answers unknown and malformed room ids', async () => {
    const res = await admin.get('/api/v1/rooms/00000000-0000-4000-8000-000000000000').expect(404);
    assert.equal(res.body.error.code, 'ROOM_NOT_FOUND');
    await admin.get('/api/v1/rooms/abc').expect(400);
    await admin
      .post('/api/v1/rooms/00000000-0000-4000-8000-000000000000/tokens', { displayName: 'A' })
      .expect(404);
  });

  it('answers 404 ROOM_NOT_FOUND for closing, listing participants of and the lobby of an unknown room', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const requests = {
      [`DELETE /rooms/${unknown}`]: admin.delete(`/api/v1/rooms/${unknown}`),
      [`GET /rooms/${unknown}/participants`]: admin.get(`/api/v1/rooms/${unknown}/participants`),
      [`GET /rooms/${unknown}/lobby`]: admin.get(`/api/v1/rooms/${unknown}/lobby`),
    };
    for (const [what, pending] of Object.entries(requests)) {
      const res = await pending;
      assert.equal(res.status, 404, what);
      assert.equal(res.body.error.code, 'ROOM_NOT_FOUND', what);
    }
  });

  it('refuses unknown fields in token and API key requests (no choosing your participant id)', async () => {
    const roomId = await admin.createRoom();
    const token = await admin
      .post(`/api/v1/rooms/${roomId}/tokens`, {
        displayName: 'Mallory',
        participantId: '00000000-0000-4000-8000-000000000001',
      })
      .expect(400);
    assert.equal(token.body.error.code, 'VALIDATION_FAILED');
    assert.match(token.body.error.message, /participantId/);
    const key = await admin
      .post('/api/v1/api-keys', { name: 'x', scopes: ['admin'], key: 'cvn_chosen' })
      .expect(400);
    assert.equal(key.body.error.code, 'VALIDATION_FAILED');
    assert.match(key.body.error.message, /key/);
    const rows = await t.db.query('SELECT id FROM participants WHERE room_id = $1', [roomId]);
    assert.deepEqual(rows, []);
  });

  it('refuses display names with NUL, control characters or unpaired surrogates', async () => {
    const roomId = await admin.createRoom();
    for (const displayName of ['Ada\u0000', '\u0000', 'Ada\nLovelace', 'Ada\ud800', '\udc00Ada']) {
      const res = await admin.post(`/api/v1/rooms/${roomId}/tokens`, { displayName }).expect(400);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED', JSON.stringify(displayName));
      assert.match(res.body.error.message, /displayName/);
    }
    // Characters outside the BMP (a surrogate pair each) are fine, and stored as sent.
    const fox = await admin.issueToken(roomId, 'Fox 🦊 𝔉');
    const rows = await t.db.query<{ display_name: string }>(
      'SELECT display_name FROM participants WHERE id = $1',
      [fox.participantId],
    );
    assert.equal(rows[0].display_name, 'Fox 🦊 𝔉');
  });

  it('issues tokens, and refuses them for closed rooms', async () => {
    const roomId = await admin.createRoom();
    const token = await admin.issueToken(roomId, 'Ada', 'host');
    assert.match(token.participantId, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(token.expiresAt) > Date.now());
    assert.equal(token.token.split('.').length, 3);
    await admin
      .post(`/api/v1/rooms/${roomId}/tokens`, { displayName: 'x', role: 'admin' })
      .expect(400);
    await admin.post(`/api/v1/rooms/${roomId}/tokens`, { displayName: '   ' }).expect(400);
    await admin.delete(`/api/v1/rooms/${roomId}`).expect(204);
    const closed = await admin
      .post(`/api/v1/rooms/${roomId}/tokens`, { displayName: 'Late' })
      .expect(409);
    assert.equal(closed.body.error.code, 'ROOM_CLOSED');
    const room = await admin.get(`/api/v1/rooms/${roomId}`).expect(200);
    assert.equal(room.body.status, 'closed');
    assert.ok(room.body.closedAt);
    await admin.delete(`/api/v1/rooms/${roomId}`).expect(204);
  });

  it('answers kicks and lobby actions for unknown participants with 404', async () => {
    const roomId = await admin.createRoom();
    const res = await admin
      .delete(`/api/v1/rooms/${roomId}/participants/00000000-0000-4000-8000-000000000000`)
      .expect(404);
    assert.equal(res.body.error.code, 'PARTICIPANT_NOT_FOUND');
    await admin
      .post(`/api/v1/rooms/${roomId}/lobby/00000000-0000-4000-8000-000000000000/admit`)
      .expect(404);
  });
});

describe('admin API rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '5' });
  });
  after(() => t.close());

  it("answers 429 RATE_LIMITED past a key's limit with the real Retry-After; another key and health are unaffected", async () => {
    const admin = new Admin(t.url);
    const created = await admin
      .post('/api/v1/api-keys', { name: 'second integration', scopes: ['admin'] })
      .expect(201); // the bootstrap key's hit 1
    const other = new Admin(t.url, (created.body as { key: string }).key);
    for (let i = 0; i < 4; i++) await admin.get('/api/v1/rooms').expect(200);
    const limited = await admin.get('/api/v1/rooms').expect(429);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    // The window (60 s) opened a moment ago: nearly all of it is left, not "1 s".
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    // Each API key has its own budget.
    for (let i = 0; i < 5; i++) await other.get('/api/v1/rooms').expect(200);
    await other.get('/api/v1/rooms').expect(429);
    await request(t.url).get('/health/ready').expect(200);
  });
});

describe('admin API: wrong keys from one address', () => {
  let t: TestApp;
  before(async () => {
    // startApp keeps earlier apps' variables: the limit of 5 above would apply here too.
    t = await startApp({ CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '600' });
  });
  after(() => t.close());

  it('a burst of wrong keys gets 429 once over the limit; the valid key from the same address still gets 200', async () => {
    const admin = new Admin(t.url);
    const codes: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 25; i++) {
      const res = await new Admin(
        t.url,
        `cvn_WRONGWRONG${String(i).padStart(2, '0')}_${'x'.repeat(43)}`,
      ).get('/api/v1/rooms');
      codes.push(res.status);
      if (res.status === 429) limited ??= res;
      // The valid key keeps working between the guesses, before and after the limit.
      await admin.get('/api/v1/rooms').expect(200);
    }
    // 20 failures a minute per address are answered 401; the rest 429.
    assert.deepEqual(codes, [...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
    assert.equal(limited?.body.error.code, 'RATE_LIMITED');
    const retryAfter = Number(limited?.headers['retry-after']);
    assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    await admin.get('/api/v1/rooms').expect(200);
  });
});
