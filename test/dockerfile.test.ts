import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_ADMIN_KEY } from './support/app.js';
import { TestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';

const root = join(import.meta.dirname, '..', '..');

interface Stage {
  from: string;
  name?: string;
  workdir: string;
  user?: string;
  env: Record<string, string>;
  /** COPY --from=<stage> lines: source path in that stage, destination in this one. */
  copies: { from: string; src: string; dest: string }[];
  cmd: string[];
}

/** The Dockerfile's stages, with what this test needs of each (one instruction a line). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const stage = stages[stages.length - 1];
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages.push({
          from: rest[0],
          name: rest[1]?.toUpperCase() === 'AS' ? rest[2] : undefined,
          workdir: '/',
          env: {},
          copies: [],
          cmd: [],
        });
        break;
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, args);
        break;
      case 'USER':
        stage.user = args;
        break;
      case 'ENV':
        for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[k] = v;
        break;
      case 'CMD':
        stage.cmd = JSON.parse(args) as string[];
        break;
      case 'COPY': {
        const from = rest.find((r) => r.startsWith('--from='))?.slice('--from='.length);
        const paths = rest.filter((r) => !r.startsWith('--'));
        if (from) stage.copies.push({ from, src: paths[0], dest: paths[paths.length - 1] });
        break;
      }
    }
  }
  return stages;
}

/** Production packages (`npm prune --omit=dev` keeps these): their top-level folders. */
function productionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
  });
  const top = join(root, 'node_modules');
  return [
    ...new Set(
      out
        .split('\n')
        .filter((p) => p.startsWith(`${top}/`))
        .map((p) => p.slice(top.length + 1))
        .map((rel) => rel.split('/node_modules/')[0]),
    ),
  ];
}

/**
 * node_modules as the image has it after `npm prune --omit=dev`: the production packages only,
 * hard-linked (same file system; a real copy of ~250 MB would take seconds), so that Node's
 * resolution finds nothing the image would not have.
 */
function prunedNodeModules(dest: string): void {
  const src = join(root, 'node_modules');
  for (const pkg of productionPackages()) {
    mkdirSync(dirname(join(dest, pkg)), { recursive: true });
    try {
      execFileSync('cp', ['-al', join(src, pkg), join(dest, pkg)]);
    } catch {
      cpSync(join(src, pkg), join(dest, pkg), { recursive: true, dereference: true });
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = parseDockerfile(dockerfile);
  const runtime = stages[stages.length - 1];

  it('is multi-stage, on one current Node LTS image in both stages, and runs as a non-root user through tini', () => {
    assert.ok(stages.length >= 2);
    // The worker is built against the build stage's libraries: the runtime must be the same base.
    assert.equal(new Set(stages.map((s) => s.from)).size, 1);
    assert.match(runtime.from, /^node:24-bookworm-slim$/);
    assert.ok(runtime.user && !['root', '0'].includes(runtime.user.split(':')[0]));
    assert.equal(runtime.env.NODE_ENV, 'production');
    assert.deepEqual(runtime.cmd, ['node', '--enable-source-maps', 'dist/src/main.js']);
    assert.match(dockerfile, /ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    // The worker's runtime libraries, as scripts/mediasoup-worker.mjs lists them.
    const script = readFileSync(join(root, 'scripts', 'mediasoup-worker.mjs'), 'utf8');
    const libs = /const RUNTIME_PKGS = '([^']+)'/.exec(script)?.[1].split(' ') ?? [];
    assert.ok(libs.length > 0);
    for (const lib of libs)
      assert.ok(dockerfile.includes(` ${lib} `), `runtime stage installs ${lib}`);
  });

  describe("its runtime stage's file layout, reproduced from its COPY --from lines", () => {
    let dir: string;
    let app: string;
    let db: TestDatabase;
    let server: ChildProcess | undefined;
    let url: string;
    let output = '';
    let before_: string[];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'convene-image-'));
      app = join(dir, runtime.workdir);
      mkdirSync(app, { recursive: true });
      assert.ok(runtime.copies.length >= 4, 'the runtime stage copies its files from the build');
      for (const { from: stageName, src, dest } of runtime.copies) {
        const build = stages.find((s) => s.name === stageName);
        assert.ok(build, `a stage named ${stageName}`);
        // The build stage's WORKDIR is the repository (COPY . .).
        const inRepo = posix.relative(build.workdir, src);
        assert.ok(!inRepo.startsWith('..'), `${src} is inside the build stage's WORKDIR`);
        const from = join(root, inRepo);
        const to = join(app, dest);
        if (src.endsWith('/node_modules')) prunedNodeModules(to);
        else
          cpSync(from, dest.endsWith('/') ? join(to, posix.basename(src)) : to, {
            recursive: true,
          });
      }
      before_ = files(app);
      db = await TestDatabase.create();
      const port = await freePort();
      const data = join(dir, 'data');
      mkdirSync(data);
      const [command, ...args] = runtime.cmd;
      assert.equal(command, 'node');
      server = spawn(process.execPath, args, {
        cwd: app,
        env: {
          PATH: process.env.PATH,
          ...runtime.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          CONVENE_DATA_DIR: data,
          CONVENE_METRICS_PORT: '0',
          CONVENE_METRICS_HOST: '127.0.0.1',
          CONVENE_MEDIA_WORKERS: '1',
          CONVENE_RTC_MIN_PORT: process.env.CONVENE_RTC_MIN_PORT ?? '40000',
          CONVENE_RTC_MAX_PORT: process.env.CONVENE_RTC_MAX_PORT ?? '40099',
          CONVENE_ANNOUNCED_ADDRESS: '127.0.0.1',
          CONVENE_JWT_SECRET: 'image-test-jwt-secret-0123456789abcdef',
          CONVENE_ADMIN_API_KEY: TEST_ADMIN_KEY,
          DATABASE_URL: db.url,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      url = `http://127.0.0.1:${port}`;
    });

    after(async () => {
      if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server?.once('exit', r));
      }
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts in production with its secrets from the environment and serves /health/ready and the web client', async () => {
      const ready = await eventually(
        async () => {
          if (server?.exitCode !== null)
            assert.fail(`the server exited ${server?.exitCode}:\n${output}`);
          const res = await fetch(`${url}/health/ready`).catch(() => undefined);
          return res?.status === 200 ? res : undefined;
        },
        'the server in the image layout to be ready',
        60_000,
      );
      assert.equal(((await ready.json()) as { status: string }).status, 'ok');
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /<script[^>]+src="\/assets\//);
      // With its secrets given, convene wrote nothing: not in the image's files, not in its data folder.
      assert.deepEqual(files(app), before_);
      assert.deepEqual(files(join(dir, 'data')), []);
    });
  });
});
