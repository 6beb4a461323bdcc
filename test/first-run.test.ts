import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ClusterNode, standaloneNode } from './support/cluster.js';
import { TestDatabase } from './support/database.js';

/** A real `node dist/src/main.js` in `mode` on `db`, with no CONVENE_ADMIN_API_KEY. */
function convene(
  db: TestDatabase,
  dir: string,
  mode: 'development' | 'test' | 'production',
  env: Record<string, string> = {},
): Promise<ClusterNode> {
  return standaloneNode(`first-run-${mode}`, mode, db.url, dir, env);
}

/** The key the banner printed, and the console address it named. */
function banner(node: ClusterNode): { key: string; console: string } {
  const log = node.log();
  const key = /admin API key: (\S+)/.exec(log)?.[1];
  const address = /console: +(\S+)/.exec(log)?.[1];
  assert.ok(key && address, `no first-run banner in:\n${log}`);
  return { key, console: address };
}

const rooms = (node: ClusterNode, key: string) =>
  fetch(`${node.url}/api/v1/rooms`, { headers: { 'X-API-Key': key } });

describe('first run in development, without CONVENE_ADMIN_API_KEY', () => {
  let db: TestDatabase;
  let dir: string;
  const nodes: ClusterNode[] = [];
  before(async () => {
    db = await TestDatabase.create();
    dir = mkdtempSync(join(tmpdir(), 'convene-first-run-'));
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates an admin key (0600 in the data folder), prints it with the console address, and reuses it on restart', async () => {
    const first = await convene(db, dir, 'development');
    nodes.push(first);
    await first.start();
    const printed = banner(first);
    assert.equal(printed.console, `${first.url}/console`);
    assert.equal((await rooms(first, printed.key)).status, 200);
    assert.equal((await rooms(first, `${printed.key}x`)).status, 401);
    const file = join(dir, 'data', 'admin-api-key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const listed = (await (
      await fetch(`${first.url}/api/v1/api-keys`, { headers: { 'X-API-Key': printed.key } })
    ).json()) as { name: string; scopes: string[] }[];
    assert.deepEqual(
      listed.map((k) => [k.name, [...k.scopes].sort()]),
      [['bootstrap (generated in development)', ['admin', 'audit:read']]],
    );
    await first.stop();

    const again = await convene(db, dir, 'development');
    nodes.push(again);
    await again.start();
    assert.equal(banner(again).key, printed.key, 'a restart must reuse the key');
    assert.equal((await rooms(again, printed.key)).status, 200);
    await again.stop();
  });

  it('generates nothing in test mode, and production still refuses to start without a key', async () => {
    const quiet = await convene(db, dir, 'test', { CONVENE_DATA_DIR: join(dir, 'test-data') });
    nodes.push(quiet);
    await quiet.start();
    assert.doesNotMatch(quiet.log(), /admin API key/);
    assert.throws(() => statSync(join(dir, 'test-data', 'admin-api-key')), /ENOENT/);
    await quiet.stop();

    const production = await convene(db, dir, 'production', {
      CONVENE_DATA_DIR: join(dir, 'prod-data'),
      CONVENE_JWT_SECRET: 'p'.repeat(48),
      CONVENE_AUDIT_SIGNING_KEY: 's'.repeat(48),
    });
    nodes.push(production);
    await assert.rejects(production.start(), /CONVENE_ADMIN_API_KEY/);
  });
});
