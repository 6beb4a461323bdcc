// Which Debian packages are missing, and whether the mediasoup worker step installs them itself
// (as root, with apt-get, unless CONVENE_NO_APT=1) or prints the command for someone who can, in
// the manner of `playwright install --with-deps`. Plain Node built-ins only; the decision takes
// its facts as arguments so it can be tested without root and without installing anything.

import { spawnSync } from 'node:child_process';

/**
 * The packages of `wanted` that dpkg does not report installed, given the output of
 * `dpkg-query -W -f='${Package}\t${Status}\n' <wanted...>` (unknown names print nothing there).
 */
export function missingPackages(wanted, dpkgQueryOutput) {
  const installed = new Set();
  for (const line of dpkgQueryOutput.split('\n')) {
    const [pkg, status] = line.split('\t');
    // "pkg:amd64" for multi-arch libraries.
    if (status?.trim() === 'install ok installed') installed.add(pkg.split(':')[0]);
  }
  return wanted.filter((p) => !installed.has(p));
}

/** Asks dpkg about `wanted`; undefined where there is no dpkg-query (not Debian/Ubuntu). */
export function queryDpkg(wanted) {
  const res = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...wanted], {
    encoding: 'utf8',
  });
  if (res.error) return undefined;
  return res.stdout ?? '';
}

/**
 * What to do about missing packages:
 * - `none`: nothing is missing;
 * - `install`: run `commands` (apt-get update, then install) — root, apt-get present, and
 *   CONVENE_NO_APT is not 1;
 * - `print`: tell the user `command` and why we do not run it ourselves.
 */
export function aptDecision({ missing, isRoot, hasAptGet, env }) {
  if (missing.length === 0) return { kind: 'none' };
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  const command = install.join(' ');
  if (env.CONVENE_NO_APT === '1')
    return { kind: 'print', command, reason: 'CONVENE_NO_APT=1 is set' };
  if (!hasAptGet) return { kind: 'print', command, reason: 'apt-get is not available' };
  if (!isRoot) return { kind: 'print', command, reason: 'not running as root' };
  return { kind: 'install', command, commands: [['apt-get', 'update'], install] };
}

/**
 * Carries out the decision: runs its commands with `run(argv) -> exit status` (noninteractive),
 * or logs the command to run. Returns true when the packages were installed.
 */
export function ensurePackages({ missing, isRoot, hasAptGet, env, run, log }) {
  const decision = aptDecision({ missing, isRoot, hasAptGet, env });
  if (decision.kind === 'none') return true;
  if (decision.kind === 'print') {
    log(`missing Debian packages: ${missing.join(' ')} (not installing them: ${decision.reason})`);
    log('install them with (as root):');
    console.log(`  ${decision.command}`);
    return false;
  }
  log(
    `installing missing Debian packages with apt-get (running as root; CONVENE_NO_APT=1 stops this): ${missing.join(' ')}`,
  );
  for (const argv of decision.commands) {
    log(`$ ${argv.join(' ')}`);
    const status = run(argv);
    if (status !== 0) {
      log(`${argv.slice(0, 2).join(' ')} failed (exit ${status})`);
      return false;
    }
  }
  return true;
}

/** The real `run` for ensurePackages: output shown, no prompts. */
export function runApt(argv) {
  const res = spawnSync(argv[0], argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return res.status ?? 1;
}
