import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';

type Apt = typeof import('../scripts/apt-packages.mjs');
const root = join(import.meta.dirname, '..', '..');

/** The build libraries as dpkg reports them on a machine that has only some of them. */
const DPKG_SOME = [
  'build-essential\tinstall ok installed',
  'make\tinstall ok installed',
  'libssl-dev:amd64\tinstall ok installed',
  'libuv1-dev:amd64\tdeinstall ok config-files',
  '',
].join('\n');
const WANTED = ['build-essential', 'make', 'libssl-dev', 'libuv1-dev', 'libsrtp2-dev'];

describe('the mediasoup worker step on a fresh Debian machine (scripts/apt-packages.mjs)', () => {
  let apt: Apt;
  before(async () => {
    // Plain .mjs beside the worker script, not compiled into dist: imported from the repository.
    apt = (await import(pathToFileURL(join(root, 'scripts', 'apt-packages.mjs')).href)) as Apt;
  });

  it('counts as missing what dpkg does not report "install ok installed" (removed, unknown), multi-arch names included', () => {
    assert.deepEqual(apt.missingPackages(WANTED, DPKG_SOME), ['libuv1-dev', 'libsrtp2-dev']);
    assert.deepEqual(apt.missingPackages(WANTED, ''), WANTED);
  });

  it("reads this machine's real dpkg-query in that format", (t) => {
    const out = apt.queryDpkg(['dpkg', 'convene-no-such-package']);
    if (out === undefined) return t.skip('no dpkg-query here');
    assert.deepEqual(apt.missingPackages(['dpkg', 'convene-no-such-package'], out), [
      'convene-no-such-package',
    ]);
  });

  it('as root with apt-get: apt-get update, then install of just the missing packages', () => {
    const decision = apt.aptDecision({
      missing: ['libuv1-dev', 'libsrtp2-dev'],
      isRoot: true,
      hasAptGet: true,
      env: {},
    });
    assert.deepEqual(decision, {
      kind: 'install',
      command: 'apt-get install -y --no-install-recommends libuv1-dev libsrtp2-dev',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'libuv1-dev', 'libsrtp2-dev'],
      ],
    });
  });

  it('prints the command instead when not root, without apt-get, or with CONVENE_NO_APT=1; nothing when nothing is missing', () => {
    const facts = { missing: ['libuv1-dev'], isRoot: true, hasAptGet: true, env: {} };
    const command = 'apt-get install -y --no-install-recommends libuv1-dev';
    assert.deepEqual(apt.aptDecision({ ...facts, isRoot: false }), {
      kind: 'print',
      command,
      reason: 'not running as root',
    });
    assert.deepEqual(apt.aptDecision({ ...facts, hasAptGet: false }), {
      kind: 'print',
      command,
      reason: 'apt-get is not available',
    });
    assert.deepEqual(apt.aptDecision({ ...facts, env: { CONVENE_NO_APT: '1' } }), {
      kind: 'print',
      command,
      reason: 'CONVENE_NO_APT=1 is set',
    });
    assert.deepEqual(apt.aptDecision({ ...facts, missing: [] }), { kind: 'none' });
  });

  it('with CONVENE_NO_APT=1 as root it only prints: no command runs', (t) => {
    const ran: string[][] = [];
    const logged: string[] = [];
    const printed = t.mock.method(console, 'log', () => undefined);
    const ok = apt.ensurePackages({
      missing: ['libuv1-dev'],
      isRoot: true,
      hasAptGet: true,
      env: { CONVENE_NO_APT: '1' },
      run: (argv) => (ran.push(argv), 0),
      log: (m) => logged.push(m),
    });
    const output = printed.mock.calls.map((c) => String(c.arguments[0]));
    printed.mock.restore();
    assert.equal(ok, false);
    assert.deepEqual(ran, []);
    assert.ok(logged.some((m) => m.includes('CONVENE_NO_APT=1')));
    assert.deepEqual(output, ['  apt-get install -y --no-install-recommends libuv1-dev']);
  });

  it('as root it says what it installs, runs update then install, and stops at the first failure', () => {
    const ran: string[][] = [];
    const logged: string[] = [];
    const facts = { missing: ['libuv1-dev'], isRoot: true, hasAptGet: true, env: {} };
    assert.equal(
      apt.ensurePackages({
        ...facts,
        run: (argv) => (ran.push(argv), 0),
        log: (m) => logged.push(m),
      }),
      true,
    );
    assert.deepEqual(
      ran.map((a) => a.slice(0, 2)),
      [
        ['apt-get', 'update'],
        ['apt-get', 'install'],
      ],
    );
    assert.match(logged[0], /installing missing Debian packages with apt-get .*libuv1-dev/);
    ran.length = 0;
    assert.equal(
      apt.ensurePackages({ ...facts, run: (argv) => (ran.push(argv), 100), log: () => undefined }),
      false,
    );
    assert.deepEqual(ran, [['apt-get', 'update']]);
  });
});
