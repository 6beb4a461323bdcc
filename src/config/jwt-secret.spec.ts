import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigValidationError } from './env.js';
import { JWT_SECRET_FILE, jwtSecretOf, loadOrCreateJwtSecret } from './jwt-secret.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'convene-secret-'));
  dirs.push(dir);
  return dir;
}

/** Runs `count` processes that load-or-create the secret in `dataDir` at once; their secrets. */
async function raceProcesses(dataDir: string, count: number): Promise<string[]> {
  const module = pathToFileURL(join(import.meta.dirname, 'jwt-secret.js')).href;
  // All start together: each waits for the same moment, well after they have all loaded.
  const startAt = Date.now() + 1500;
  const script = `const { loadOrCreateJwtSecret } = await import(${JSON.stringify(module)});
    while (Date.now() < ${startAt});
    process.stdout.write(loadOrCreateJwtSecret(${JSON.stringify(dataDir)}).secret);`;
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.pipe(process.stderr);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0);
      return out;
    }),
  );
}

describe('the generated JWT secret', () => {
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is generated once into the data folder, readable by its owner only, then reused', () => {
    const dataDir = join(freshDir(), 'not-yet-there');
    const first = loadOrCreateJwtSecret(dataDir);
    assert.equal(first.created, true);
    assert.equal(first.file, join(dataDir, JWT_SECRET_FILE));
    assert.ok(first.secret.length >= 32);
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    const again = loadOrCreateJwtSecret(dataDir);
    assert.deepEqual(again, { ...first, created: false });
    // Nothing is left beside it from writing it.
    assert.deepEqual(readdirSync(dataDir), [JWT_SECRET_FILE]);
    assert.notEqual(loadOrCreateJwtSecret(freshDir()).secret, first.secret);
  });

  it('processes starting at once all end up with one secret', async () => {
    const dataDir = freshDir();
    const secrets = await raceProcesses(dataDir, 6);
    assert.equal(new Set(secrets).size, 1);
    assert.equal(secrets[0], loadOrCreateJwtSecret(dataDir).secret);
    assert.deepEqual(readdirSync(dataDir), [JWT_SECRET_FILE]);
  });

  it('refuses a secret file others can read, or one that holds no real secret', () => {
    const open = freshDir();
    writeFileSync(join(open, JWT_SECRET_FILE), 'x'.repeat(43));
    chmodSync(join(open, JWT_SECRET_FILE), 0o644);
    assert.throws(
      () => loadOrCreateJwtSecret(open),
      (e: unknown) => e instanceof ConfigValidationError && /chmod 600/.test(e.message),
    );
    const short = freshDir();
    writeFileSync(join(short, JWT_SECRET_FILE), 'short\n', { mode: 0o600 });
    assert.throws(
      () => loadOrCreateJwtSecret(short),
      (e: unknown) => e instanceof ConfigValidationError && /at least 32/.test(e.message),
    );
  });

  it('CONVENE_JWT_SECRET, when set, is used and nothing is written', () => {
    const dataDir = freshDir();
    const configured = 'c'.repeat(40);
    assert.deepEqual(jwtSecretOf({ jwtSecret: configured, dataDir }), {
      secret: configured,
      file: undefined,
    });
    assert.deepEqual(readdirSync(dataDir), []);
  });
});
