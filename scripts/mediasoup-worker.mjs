#!/usr/bin/env node
// Provides mediasoup's C++ worker binary (node_modules/mediasoup/worker/out/Release/
// mediasoup-worker) for this project. Runs as the project's `postinstall`.
//
// Why this exists: mediasoup's own install script downloads a prebuilt worker from
// GitHub, or else builds it with meson, whose worker/subprojects/*.wrap files
// download the C++ dependencies. Our machines reach only the npm registry and
// Debian apt, so both fail. package.json therefore denies mediasoup's install
// script (npm 11 `allowScripts`) and this script does the job instead:
//
//   1. MEDIASOUP_WORKER_BIN set        -> mediasoup uses that binary; nothing to do.
//   3. worker binary already in place  -> nothing to do.
//   4. cached binary (outside node_modules, so clean clones / `npm ci` reuse it),
//      keyed <mediasoup version>-<platform>-<arch> -> copy it in.
//   5a. mediasoup's own prebuilt download (works where GitHub is reachable).
//   5b. offline build against Debian's libraries: the seven downloading wraps are
//      replaced by local meson subprojects (scripts/mediasoup/subprojects/*) that
//      wrap the system libraries, and a backported fix for a WebRtcServer close
//      crash is applied (scripts/mediasoup/webrtcserver-closing.patch). ~3 min on
//      2 cores. 5a/5b results are cached for step 4.
//   (Step 2 locates mediasoup.) Missing build deps are installed with apt-get
//   (update, then install, saying so) when this runs as root where apt-get exists,
//   unless CONVENE_NO_APT=1; otherwise the apt-get line to run is printed.
//
// Environment:
//   MEDIASOUP_WORKER_BIN                     use this binary, skip everything
//   CONVENE_CACHE_DIR                        cache root (default
//                                            ${XDG_CACHE_HOME:-~/.cache}/convene)
//   MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD  skip step 5a
//   CONVENE_NO_APT=1                         never run apt-get; print the command
//   PYTHON, MESON_VERSION, NINJA_VERSION, PIP_INDEX_URL
//                                            passed to the worker's Makefile; the
//                                            defaults match this machine kind.
//
// Plain Node built-ins only: it runs before anything else could be relied on.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { ensurePackages, missingPackages, queryDpkg, runApt } from './apt-packages.mjs';

const T0 = Date.now();
const SCRIPTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(SCRIPTS_DIR, '..');
const ASSETS_DIR = path.join(SCRIPTS_DIR, 'mediasoup');
const SHIMS_DIR = path.join(ASSETS_DIR, 'subprojects');
const PATCH_FILE = path.join(ASSETS_DIR, 'webrtcserver-closing.patch');
// Present in the patched sources; makes applying the patch idempotent.
const PATCH_MARKER = 'CONVENE_PATCH_WEBRTCSERVER_CLOSING';
const PREBUILT_TIMEOUT_MS = 60_000;
const BUILD_TIMEOUT_MS = 45 * 60_000;
const BIN_NAME = 'mediasoup-worker';

// Debian packages needed to build, keyed by what proves each one is installed.
const BUILD_TOOLS = [
  { cmd: 'make', pkg: 'make' },
  { cmd: 'g++', pkg: 'build-essential' },
  { cmd: 'pkg-config', pkg: 'pkg-config' },
  { cmd: 'patch', pkg: 'patch' },
];
const BUILD_LIBS = [
  { pc: 'absl_flat_hash_map', pkg: 'libabsl-dev' },
  { pc: 'libsrtp2', pkg: 'libsrtp2-dev' },
  { pc: 'libuv', pkg: 'libuv1-dev' },
  { pc: 'nlohmann_json', pkg: 'nlohmann-json3-dev' },
  { pc: 'openssl', pkg: 'libssl-dev' },
  { pc: 'usrsctp', pkg: 'libusrsctp-dev' },
];
const ALL_BUILD_PKGS = [
  'build-essential',
  'make',
  'pkg-config',
  'patch',
  'python3',
  'python3-pip',
  ...BUILD_LIBS.map((l) => l.pkg),
];
// Shared libraries the built binary links to (for a runtime image / error hints).
const RUNTIME_PKGS = 'libabsl20220623 libsrtp2-1 libssl3 libusrsctp2 libuv1 libnss3 libnspr4';

function log(msg) {
  const secs = Math.round((Date.now() - T0) / 1000);
  console.log(`[mediasoup-worker] +${secs}s ${msg}`);
}

function fail(msg) {
  log(`ERROR: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// A mediasoup worker started without MEDIASOUP_VERSION exits with 41 (see the
// worker's main.cpp); mediasoup's own installer uses the same probe. Unlike a
// mere exec-bit check this also proves its shared libraries load.
function workerRuns(bin) {
  if (!fs.existsSync(bin)) return { ok: false, why: 'missing' };
  const res = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  if (res.status === 41) return { ok: true };
  const why = res.error ? res.error.message : `exit status ${res.status}, signal ${res.signal}`;
  return { ok: false, why };
}

function missingSharedLibs(bin) {
  const res = spawnSync('ldd', [bin], { encoding: 'utf8' });
  return (res.stdout || '')
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim());
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// Copies via a temporary file + rename, so that a concurrent reader (another
// `npm ci` on the same machine) never sees a half-written binary.
function installFile(src, dest) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.copyFileSync(src, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, dest);
}

// Identifies the offline-build recipe (shims + patch). A cached binary built by
// an older recipe is rebuilt rather than silently reused.
function recipeHash() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else
        hash
          .update(path.relative(ASSETS_DIR, p))
          .update('\0')
          .update(fs.readFileSync(p))
          .update('\0');
    }
  };
  walk(ASSETS_DIR);
  return hash.digest('hex').slice(0, 16);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------
// 1. Explicit binary
// ---------------------------------------------------------------------------

if (process.env.MEDIASOUP_WORKER_BIN) {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  log(`MEDIASOUP_WORKER_BIN is set, mediasoup will use ${bin}; nothing to build`);
  if (!fs.existsSync(bin)) log(`WARNING: ${bin} does not exist`);
  process.exit(0);
}

// ---------------------------------------------------------------------------
// 2. Locate mediasoup
// ---------------------------------------------------------------------------

let msDir;
try {
  const require = createRequire(path.join(PROJECT_ROOT, 'package.json'));
  msDir = path.dirname(require.resolve('mediasoup/package.json'));
} catch {
  fail(`mediasoup is not installed under ${PROJECT_ROOT} (run npm install first)`);
}
const msVersion = readJson(path.join(msDir, 'package.json'))?.version;
if (!msVersion) fail(`cannot read mediasoup's version from ${msDir}/package.json`);

const workerDir = path.join(msDir, 'worker');
const releaseDir = path.join(workerDir, 'out', 'Release');
const workerBin = path.join(releaseDir, BIN_NAME);

const cacheRoot =
  process.env.CONVENE_CACHE_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'convene');
const cacheKey = `${msVersion}-${process.platform}-${process.arch}`;
const cacheDir = path.join(cacheRoot, 'mediasoup-worker', cacheKey);
const cachedBin = path.join(cacheDir, BIN_NAME);
const cacheInfoFile = path.join(cacheDir, 'build-info.json');
const logFile = path.join(cacheDir, 'build.log');
const RECIPE = recipeHash();

log(`mediasoup ${msVersion} at ${path.relative(PROJECT_ROOT, msDir) || msDir}`);

function saveToCache(source) {
  installFile(workerBin, cachedBin);
  const info = {
    mediasoup: msVersion,
    platform: process.platform,
    arch: process.arch,
    source,
    recipe: RECIPE,
    date: new Date().toISOString(),
  };
  fs.writeFileSync(cacheInfoFile, `${JSON.stringify(info, null, 2)}\n`);
  log(`cached ${cachedBin}`);
}

// ---------------------------------------------------------------------------
// 3. Already in place (e.g. second postinstall run on the same node_modules)
// ---------------------------------------------------------------------------

if (workerRuns(workerBin).ok) {
  log(`worker already present: ${workerBin}`);
  process.exit(0);
}

// ---------------------------------------------------------------------------
// 4. Cache
// ---------------------------------------------------------------------------

if (fs.existsSync(cachedBin)) {
  const info = readJson(cacheInfoFile);
  const check = workerRuns(cachedBin);
  if (info?.source === 'offline-build' && info.recipe !== RECIPE) {
    log(`cached worker was built with an older recipe (${info.recipe}, now ${RECIPE}); rebuilding`);
  } else if (!check.ok) {
    log(`cached worker ${cachedBin} does not run (${check.why}); rebuilding`);
    for (const l of missingSharedLibs(cachedBin)) log(`  ${l}`);
  } else {
    installFile(cachedBin, workerBin);
    log(`using cached worker ${cachedBin} (${info?.source ?? 'unknown source'})`);
    process.exit(0);
  }
}

fs.mkdirSync(cacheDir, { recursive: true });
fs.writeFileSync(logFile, `# mediasoup ${msVersion} worker, ${new Date().toISOString()}\n`);

// ---------------------------------------------------------------------------
// 5a. mediasoup's own prebuilt download
// ---------------------------------------------------------------------------

function tryPrebuiltDownload() {
  if (process.env.MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD) {
    log('MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD is set, not trying the prebuilt download');
    return false;
  }
  const script = path.join(msDir, 'npm-scripts.mjs');
  if (!fs.existsSync(script)) {
    log('mediasoup has no npm-scripts.mjs, not trying the prebuilt download');
    return false;
  }
  log(`trying mediasoup's prebuilt worker download (timeout ${PREBUILT_TIMEOUT_MS / 1000}s)`);
  const env = { ...process.env };
  // Make its postinstall take the download path...
  delete env.MEDIASOUP_LOCAL_DEV;
  delete env.MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD;
  // ...and stop it from falling back to its own (downloading) meson build when
  // the download fails: it runs `${MAKE} -C worker`, so MAKE=false fails fast.
  env.MAKE = 'false';
  const res = spawnSync(process.execPath, [script, 'postinstall'], {
    cwd: msDir,
    env,
    encoding: 'utf8',
    timeout: PREBUILT_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fs.appendFileSync(
    logFile,
    `# prebuilt download attempt\n${res.stdout ?? ''}${res.stderr ?? ''}\n`,
  );
  // It leaves an empty worker/prebuild behind.
  const prebuildDir = path.join(workerDir, 'prebuild');
  if (fs.existsSync(prebuildDir) && fs.readdirSync(prebuildDir).length === 0) {
    fs.rmdirSync(prebuildDir);
  }
  if (workerRuns(workerBin).ok) {
    log('got the prebuilt worker');
    return true;
  }
  // Report its own reason (e.g. "getaddrinfo ENOTFOUND github.com") in one line.
  const reason = stripVTControlCharacters(`${res.stdout ?? ''}${res.stderr ?? ''}`)
    .split('\n')
    .find((l) => /failed to download|no available/i.test(l))
    ?.replace(/^npm-scripts .*?\| /, '')
    .trim();
  const why = res.error?.code === 'ETIMEDOUT' ? 'timed out' : (reason ?? `exit ${res.status}`);
  log(`no prebuilt worker: ${why}`);
  return false;
}

if (tryPrebuiltDownload()) {
  saveToCache('prebuilt');
  process.exit(0);
}

// ---------------------------------------------------------------------------
// 5b. Offline build against Debian's libraries
// ---------------------------------------------------------------------------

if (process.platform !== 'linux') {
  fail(
    `no prebuilt worker, and the offline build supports Debian/Ubuntu only; build mediasoup ${msVersion}'s worker yourself and set MEDIASOUP_WORKER_BIN`,
  );
}

function findMissingBuildDeps() {
  const missing = new Set();
  for (const t of BUILD_TOOLS) if (!hasCommand(t.cmd)) missing.add(t.pkg);
  const python = pythonPath();
  if (spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status !== 0) {
    missing.add('python3').add('python3-pip');
  }
  if (!missing.has('pkg-config')) {
    for (const l of BUILD_LIBS) {
      if (spawnSync('pkg-config', ['--exists', l.pc], { stdio: 'ignore' }).status !== 0)
        missing.add(l.pkg);
    }
  } else {
    for (const l of BUILD_LIBS) missing.add(l.pkg);
  }
  return missing;
}

// A missing dependency is installed with apt-get when we run as root and CONVENE_NO_APT is not
// 1 (scripts/apt-packages.mjs decides); otherwise the apt-get line to run is printed.
function checkBuildDeps() {
  const found = findMissingBuildDeps();
  if (found.size === 0) {
    log('build dependencies present');
    return;
  }
  log(`missing build dependencies: ${[...found].join(' ')}`);
  // dpkg names exactly what to install; without it, what the probes found missing.
  const dpkg = queryDpkg(ALL_BUILD_PKGS);
  const fromDpkg = dpkg === undefined ? [] : missingPackages(ALL_BUILD_PKGS, dpkg);
  const missing = fromDpkg.length > 0 ? fromDpkg : [...found];
  const installed = ensurePackages({
    missing,
    isRoot: process.getuid?.() === 0,
    hasAptGet: hasCommand('apt-get'),
    env: process.env,
    run: runApt,
    log,
  });
  if (!installed) fail('build dependencies missing');
  const still = findMissingBuildDeps();
  if (still.size > 0) fail(`still missing after apt-get install: ${[...still].join(' ')}`);
  log('build dependencies installed');
}

// The Makefile's `python3` may be a pyenv shim without pip; prefer Debian's.
function pythonPath() {
  if (process.env.PYTHON) return process.env.PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

// meson uses subprojects/<name>/ when no <name>.wrap exists. Move each
// downloading wrap aside (kept for reference) and drop in our local stand-in.
function applyShims() {
  const subprojectsDir = path.join(workerDir, 'subprojects');
  for (const name of fs.readdirSync(SHIMS_DIR)) {
    const wrap = path.join(subprojectsDir, `${name}.wrap`);
    if (fs.existsSync(wrap)) fs.renameSync(wrap, `${wrap}.disabled`);
    const dest = path.join(subprojectsDir, name);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(path.join(SHIMS_DIR, name), dest, { recursive: true });
  }
  log(
    `replaced subprojects with local Debian-library shims: ${fs.readdirSync(SHIMS_DIR).join(', ')}`,
  );
}

function applyPatch() {
  const src = path.join(workerDir, 'src', 'RTC', 'WebRtcServer.cpp');
  if (fs.readFileSync(src, 'utf8').includes(PATCH_MARKER)) {
    log('WebRtcServer close fix already applied');
    return;
  }
  const args = ['-p1', '--forward', '--batch', '-d', workerDir, '-i', PATCH_FILE];
  const dry = spawnSync('patch', ['--dry-run', ...args], { encoding: 'utf8' });
  if (dry.status !== 0) {
    console.log(dry.stdout, dry.stderr);
    fail(
      `${path.basename(PATCH_FILE)} does not apply to mediasoup ${msVersion} (it targets 3.12.x)`,
    );
  }
  const res = spawnSync('patch', args, { encoding: 'utf8' });
  if (res.status !== 0) {
    console.log(res.stdout, res.stderr);
    fail(`applying ${path.basename(PATCH_FILE)} failed`);
  }
  log('applied WebRtcServer close fix (webrtcserver-closing.patch)');
}

function buildEnv() {
  const env = { ...process.env };
  Object.assign(env, {
    // Belt and braces: the Makefile itself also checks this.
    MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD: '1',
    // We look for out/Release, and the build must be optimised.
    MEDIASOUP_BUILDTYPE: 'Release',
    PYTHON: pythonPath(),
    // The Makefile's own meson/ninja pins are not in the local wheel store;
    // these are (and exist on PyPI too).
    MESON_VERSION: env.MESON_VERSION || '1.12.1',
    NINJA_VERSION: env.NINJA_VERSION || '1.13.2',
  });
  // Without this pip keeps retrying an unreachable index. Only where the local
  // store exists: elsewhere pip's normal configuration applies.
  if (!env.PIP_INDEX_URL && fs.existsSync('/opt/pypi/simple'))
    env.PIP_INDEX_URL = 'file:///opt/pypi/simple';
  // With it set the Makefile skips compiling altogether.
  delete env.MEDIASOUP_WORKER_BIN;
  return env;
}

function prepareOutDir() {
  const outDir = path.join(workerDir, 'out');
  // The Makefile installs meson/ninja only when out/pip is absent, so a pip dir
  // left by an interrupted run would break every later build.
  const pipDir = path.join(outDir, 'pip');
  if (fs.existsSync(pipDir) && !fs.existsSync(path.join(pipDir, 'bin', 'meson'))) {
    fs.rmSync(pipDir, { recursive: true, force: true });
  }
  // A build dir configured before the shims (e.g. by mediasoup's own install
  // script) would make `meson setup --reconfigure` keep stale subproject state.
  const buildDir = path.join(releaseDir, 'build');
  if (fs.existsSync(buildDir)) {
    log('removing stale build directory');
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

// Runs make, appending its output to the log, and prints a progress line about
// every 20s (ninja's "[n/total]" counter) so CI logs show it is alive.
function runMake(env) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(
      out,
      `# make -C ${workerDir} (MESON_VERSION=${env.MESON_VERSION} NINJA_VERSION=${env.NINJA_VERSION} PYTHON=${env.PYTHON} PIP_INDEX_URL=${env.PIP_INDEX_URL ?? ''})\n`,
    );
    const child = spawn('make', ['-C', workerDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let phase = 'installing meson and ninja (pip)';
    let lastReported = '';
    const onData = (buf) => {
      fs.writeSync(out, buf);
      const text = buf.toString();
      if (/meson setup|The Meson build system/.test(text)) phase = 'configuring (meson setup)';
      const counters = text.match(/\[\d+\/\d+\]/g);
      if (counters) phase = `compiling ${counters[counters.length - 1]}`;
      if (/bin\/meson install/.test(text)) phase = 'installing';
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => {
      if (phase !== lastReported) log(phase);
      lastReported = phase;
    }, 20_000);
    // make runs in its own process group (detached) so that the whole tree
    // (make, meson, ninja, compilers) can be stopped on timeout or Ctrl-C.
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // The group is already gone.
      }
    };
    const killer = setTimeout(() => {
      log(`build exceeded ${BUILD_TIMEOUT_MS / 60_000} minutes, stopping it`);
      stop();
    }, BUILD_TIMEOUT_MS);
    const onSignal = (sig) => {
      log(`${sig} received, stopping the build`);
      stop();
      process.exit(1);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('close', (code, signal) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearInterval(ticker);
      clearTimeout(killer);
      fs.closeSync(out);
      resolve({ code, signal });
    });
    child.on('error', (error) => {
      fs.writeSync(out, `spawn error: ${error.message}\n`);
    });
  });
}

checkBuildDeps();
applyShims();
applyPatch();
prepareOutDir();

log(`building the worker offline (about 3 minutes on 2 cores); log: ${logFile}`);
const buildStart = Date.now();
const { code, signal } = await runMake(buildEnv());
const buildSecs = Math.round((Date.now() - buildStart) / 1000);

if (code !== 0) {
  console.log(`----- last lines of ${logFile} -----\n${tail(logFile)}\n-----`);
  fail(
    `make failed (exit ${code}${signal ? `, signal ${signal}` : ''}) after ${buildSecs}s; full log: ${logFile}`,
  );
}

const built = workerRuns(workerBin);
if (!built.ok) {
  const missing = fs.existsSync(workerBin) ? missingSharedLibs(workerBin) : [];
  for (const l of missing) log(`  ${l}`);
  if (missing.length) log(`runtime libraries come from: apt-get install -y ${RUNTIME_PKGS}`);
  fail(`build finished but ${workerBin} does not run (${built.why}); full log: ${logFile}`);
}
log(`built ${workerBin} in ${buildSecs}s`);

// Like mediasoup's own installer: drop the build tree and the pip-installed
// meson/ninja (~50 MB) from node_modules; the binary is all that's used.
fs.rmSync(path.join(releaseDir, 'build'), { recursive: true, force: true });
fs.rmSync(path.join(workerDir, 'out', 'pip'), { recursive: true, force: true });

saveToCache('offline-build');
log('done');
