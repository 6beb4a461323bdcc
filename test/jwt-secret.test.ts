import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { JWT_SECRET_FILE } from '../src/config/jwt-secret.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { connectAndJoin, connectError } from './support/sockets.js';

/** The constant that used to be in src/config/env.ts: public, so it must sign nothing. */
const OLD_SOURCE_SECRET = 'convene-dev-only-jwt-secret-do-not-use-in-production';

describe('without CONVENE_JWT_SECRET', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'convene-data-'));
  const saved = { dir: process.env.CONVENE_DATA_DIR, secret: process.env.CONVENE_JWT_SECRET };
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    if (saved.dir === undefined) delete process.env.CONVENE_DATA_DIR;
    else process.env.CONVENE_DATA_DIR = saved.dir;
    if (saved.secret !== undefined) process.env.CONVENE_JWT_SECRET = saved.secret;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs with a secret generated into the data folder (0600), which survives a restart; the old constant signs nothing', async () => {
    delete process.env.CONVENE_JWT_SECRET;
    const first = await startApp({ CONVENE_DATA_DIR: dataDir });
    apps.push(first);
    const file = join(dataDir, JWT_SECRET_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const admin = new Admin(first.url);
    const roomId = await admin.createRoom();
    const ada = await admin.issueToken(roomId, 'Ada', 'host');

    // A token signed with the constant once in the source, for a real participant, is refused.
    const forged = await new SignJWT({ room: roomId, name: 'Ada', role: 'host' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('convene')
      .setSubject(ada.participantId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(OLD_SOURCE_SECRET));
    assert.equal(await connectError(first.url, forged), 'TOKEN_INVALID');

    // Restart on the same database and data folder: the link issued before still works.
    await first.app.close();
    const second = await startApp({ CONVENE_DATA_DIR: dataDir, DATABASE_URL: first.db.url });
    apps.push(second);
    const client = await connectAndJoin(second.url, ada.token);
    try {
      assert.ok(client.socket.connected);
    } finally {
      client.close();
    }
    assert.equal(await connectError(second.url, forged), 'TOKEN_INVALID');
  });
});
