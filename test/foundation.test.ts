import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import request from 'supertest';
import { generateOpenApiJson } from '../src/openapi-preview.js';
import { WEB_CONTENT_SECURITY_POLICY } from '../src/web/web.controller.js';
import { Admin } from './support/admin.js';
import { startApp, TestApp } from './support/app.js';
import { TestDatabase } from './support/database.js';

const root = join(import.meta.dirname, '..', '..');

function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the running service', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(async () => {
    await t.close();
  });

  it('is live and ready with the database up', async () => {
    await request(t.url).get('/health/live').expect(200);
    const ready = await request(t.url).get('/health/ready').expect(200);
    assert.equal(ready.body.details.database.status, 'up');
    const { media } = ready.body.details;
    assert.equal(media.status, 'up');
    assert.ok(media.workers >= 1 && media.live === media.workers, JSON.stringify(media));
  });

  it('reports not ready while the database is unreachable, and ready again after', async () => {
    await t.db.cut();
    try {
      const res = await request(t.url).get('/health/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'SERVICE_UNAVAILABLE');
      assert.match(res.body.error.message, /database/);
      assert.equal(res.body.details.database.status, 'down');
      await request(t.url).get('/health/live').expect(200);
    } finally {
      await t.db.reopen();
    }
    await request(t.url).get('/health/ready').expect(200);
  });

  it('answers unknown routes with the error model and a request id', async () => {
    const res = await request(t.url).get('/no/such/route').set('X-Request-Id', 'req-abc.123');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, {
      error: { code: 'NOT_FOUND', message: 'Cannot GET /no/such/route', requestId: 'req-abc.123' },
    });
    assert.equal(res.headers['x-request-id'], 'req-abc.123');
  });

  it('mints a request id when the caller sends none or an unsafe one', async () => {
    const res = await request(t.url).get('/nope').set('X-Request-Id', 'bad id\twith tab');
    assert.match(String(res.body.error.requestId), /^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics on the metrics port only, including request durations by route pattern', async () => {
    await request(t.url).get('/health/live').expect(200);
    const res = await fetch(t.metricsUrl);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(
      text,
      /convene_http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*\} [1-9]/,
    );
    assert.match(text, /convene_process_cpu_user_seconds_total/);
    assert.notEqual(new URL(t.metricsUrl).port, new URL(t.url).port);
    // The public port (what an ingress routes) has no /metrics; the metrics port nothing else.
    const hidden = await request(t.url).get('/metrics');
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, 'NOT_FOUND');
    assert.doesNotMatch(hidden.text, /convene_/);
    assert.equal((await fetch(new URL('/health/live', t.metricsUrl))).status, 404);
    assert.equal((await fetch(t.metricsUrl, { method: 'POST' })).status, 404);
  });

  it('serves the OpenAPI UI and JSON', async () => {
    const ui = await request(t.url).get('/docs').redirects(1).expect(200);
    assert.match(ui.text, /swagger-ui/i);
    const json = await request(t.url).get('/docs-json').expect(200);
    assert.equal(json.body.openapi, '3.0.0');
    assert.ok(json.body.paths['/health/ready']);
  });

  it("sends helmet's security headers on the admin API and /docs, and keeps the web client's own CSP", async () => {
    const api = await new Admin(t.url).get('/api/v1/rooms');
    const responses = {
      'the admin API': api,
      'an admin API error': await request(t.url).get('/api/v1/rooms'),
      '/docs': await request(t.url).get('/docs/').expect(200),
      '/docs-json': await request(t.url).get('/docs-json').expect(200),
    };
    for (const [where, res] of Object.entries(responses)) {
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/, where);
      assert.match(String(res.headers['content-security-policy']), /object-src 'none'/, where);
      // It would blank /docs served over plain HTTP on a non-localhost name (scripts via https).
      assert.doesNotMatch(
        String(res.headers['content-security-policy']),
        /upgrade-insecure-requests/,
        where,
      );
      assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/, where);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', where);
      assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', where);
      assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin', where);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', where);
      assert.equal(res.headers['x-powered-by'], undefined, where);
    }
    assert.equal(api.status, 200);
    // The web client's page: exactly its own policy, not helmet's looser one (no inline styles).
    const page = await request(t.url).get('/').expect(200);
    assert.equal(page.headers['content-security-policy'], WEB_CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(WEB_CONTENT_SECURITY_POLICY, /unsafe-inline|https:/);
    assert.match(WEB_CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
    assert.equal(
      page.headers['permissions-policy'],
      'camera=(self), microphone=(self), display-capture=(self)',
    );
  });
});

describe('the metrics port', () => {
  it('closes with the application', async () => {
    const app = await startApp();
    assert.equal((await fetch(app.metricsUrl)).status, 200);
    await app.close();
    await assert.rejects(fetch(app.metricsUrl), /fetch failed/);
  });

  it('stops the boot, naming CONVENE_METRICS_PORT, when its port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const db = await TestDatabase.create();
    try {
      const { code, stdout, stderr } = await runNode(['dist/src/main.js'], {
        DATABASE_URL: db.url,
        PORT: '0',
        CONVENE_MEDIA_WORKERS: '1',
        CONVENE_METRICS_HOST: '127.0.0.1',
        CONVENE_METRICS_PORT: String((taken.address() as AddressInfo).port),
      });
      assert.equal(code, 1);
      assert.match(
        stdout + stderr,
        /CONVENE_METRICS_PORT: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      taken.close();
      await db.drop();
    }
  });
});

describe('configuration at boot', () => {
  it('refuses to start in production with default secrets, naming the variables', async () => {
    const { code, stderr } = await runNode(['dist/src/main.js'], { NODE_ENV: 'production' });
    assert.equal(code, 1);
    assert.match(stderr, /CONVENE_JWT_SECRET must be set in production/);
    assert.match(stderr, /CONVENE_ADMIN_API_KEY must be set in production/);
  });

  it('stops with a message naming a bad variable', async () => {
    const { code, stderr } = await runNode(['dist/src/main.js'], { PORT: 'http' });
    assert.equal(code, 1);
    assert.match(stderr, /PORT must be an integer/);
  });

  it('stops when a configured Redis does not answer, naming REDIS_URL', async () => {
    const db = await TestDatabase.create();
    try {
      const { code, stdout, stderr } = await runNode(['dist/src/main.js'], {
        DATABASE_URL: db.url,
        PORT: '0',
        CONVENE_METRICS_PORT: '0',
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      assert.equal(code, 1);
      assert.match(stdout + stderr, /REDIS_URL: cannot connect/);
    } finally {
      await db.drop();
    }
  });
});

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  let dir: string;
  let dataDir: string;
  // Below Linux's ephemeral range (32768-60999): a port there can be held, for seconds, by any
  // outgoing connection on the machine (CI once lost all four tests here to one).
  const pgPort = 20000 + Math.floor(Math.random() * 10000);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'convene-embedded-'));
    await chmod(dir, 0o755); // the server runs as the postgres user when we are root
    dataDir = join(dir, 'pgdata');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const postgresProcesses = () =>
    execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((l) => l.includes(dataDir) && l.includes('postgres'));
  async function noPostgresLeft(): Promise<void> {
    for (let i = 0; i < 50 && postgresProcesses().length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(postgresProcesses(), [], 'PostgreSQL survived the app');
  }

  /** Runs `npm start`'s entry point on the embedded server until it is up (or has exited). */
  async function startMain(env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        CONVENE_EMBEDDED_PG_DIR: dataDir,
        CONVENE_EMBEDDED_PG_PORT: String(pgPort),
        CONVENE_MEDIA_WORKERS: '1',
        CONVENE_METRICS_PORT: '0',
        ...env,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const deadline = Date.now() + 60_000;
    while (!output.includes('Nest application successfully started') && child.exitCode === null) {
      assert.ok(Date.now() < deadline, `app did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { child, exited, output: () => output };
  }

  const pgUrl = async () => {
    const password = (await readFile(`${dataDir}.password`, 'utf8')).trim();
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres`;
  };

  it('starts the app on it, and Ctrl-C stops both with no orphaned server', async () => {
    const app = await startMain();
    try {
      assert.equal(app.child.exitCode, null, `app exited:\n${app.output()}`);
      assert.match(app.output(), /embedded PostgreSQL ready/);
      assert.equal(postgresProcesses().length > 0, true, 'no embedded postgres process found');
      // No default password: a random one, readable by its owner only.
      const passwordFile = await stat(`${dataDir}.password`);
      assert.equal(passwordFile.mode & 0o777, 0o600);
      assert.notEqual((await readFile(`${dataDir}.password`, 'utf8')).trim(), 'postgres');
      const client = new pg.Client(await pgUrl());
      await client.connect();
      await client.query('CREATE TABLE survives_restart (note text)');
      await client.query(`INSERT INTO survives_restart VALUES ('still here')`);
      await client.end();
      app.child.kill('SIGINT');
      await app.exited;
      await noPostgresLeft();
      assert.match(app.output(), /embedded PostgreSQL stopped/);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it('the default layout: a fresh data folder holds the generated JWT secret (0600) and the embedded database', async () => {
    // What `npm start` does on a fresh machine: nothing set but the data folder's place.
    const data = join(dir, 'data');
    const app = await startMain({ CONVENE_DATA_DIR: data, CONVENE_EMBEDDED_PG_DIR: '' });
    try {
      assert.equal(app.child.exitCode, null, `app exited:\n${app.output()}`);
      assert.match(app.output(), /embedded PostgreSQL ready/);
      assert.equal((await stat(join(data, 'jwt-secret'))).mode & 0o777, 0o600);
      assert.ok((await stat(join(data, 'pgdata', 'PG_VERSION'))).isFile());
      app.child.kill('SIGTERM');
      await app.exited;
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it('keeps its data across restarts, and SIGTERM stops the app and then the server', async () => {
    const app = await startMain();
    try {
      assert.equal(app.child.exitCode, null, `app exited:\n${app.output()}`);
      const client = new pg.Client(await pgUrl());
      await client.connect();
      const rows = await client.query<{ note: string }>('SELECT note FROM survives_restart');
      await client.end();
      assert.deepEqual(rows.rows, [{ note: 'still here' }]);
      app.child.kill('SIGTERM');
      // Nothing to drain: it closes at once and exits 0.
      assert.equal(await app.exited, 0, app.output());
      await noPostgresLeft();
      // The app's own shutdown stopped the server (after closing its pool), not a racing hook.
      assert.match(app.output(), /embedded PostgreSQL stopped/);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it('stops the server it started when the boot fails afterwards (port in use)', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const app = await startMain({ PORT: String(port) });
      const code = await app.exited;
      assert.equal(code, 1, app.output());
      assert.match(app.output(), /embedded PostgreSQL ready/);
      assert.match(app.output(), /EADDRINUSE/);
      await noPostgresLeft();
    } finally {
      busy.close();
    }
  });
});

describe('migrations', () => {
  it('apply on an empty database, revert one by one to nothing, and apply again', async () => {
    const db = await TestDatabase.create();
    try {
      const env = { DATABASE_URL: db.url };
      const tables = async () =>
        (
          await db.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'convene_migrations' ORDER BY 1",
          )
        ).map((r) => r.table_name);

      const up = await runNode(['dist/src/database/migrate.js', 'up'], env);
      assert.equal(up.code, 0, up.stderr);
      const created = await tables();
      assert.ok(created.length > 0, 'migrations created no table');
      const applied = await db.query('SELECT name FROM convene_migrations');

      for (let i = 0; i < applied.length; i++) {
        const down = await runNode(['dist/src/database/migrate.js', 'down'], env);
        assert.equal(down.code, 0, down.stderr);
      }
      assert.deepEqual(await tables(), []);

      const again = await runNode(['dist/src/database/migrate.js', 'up'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await tables(), created);
    } finally {
      await db.drop();
    }
  });
});

describe('OpenAPI spec', () => {
  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', async () => {
    const committed = await readFile(join(root, 'openapi.json'), 'utf8');
    const generated = await generateOpenApiJson();
    assert.deepEqual(JSON.parse(generated), JSON.parse(committed));
  });

  it('documents the success response, auth, rate-limit and input errors of every admin route', async () => {
    const spec = JSON.parse(await generateOpenApiJson()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: unknown[];
            requestBody?: unknown;
            responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
            security?: unknown;
          }
        >
      >;
    };
    const admin = Object.entries(spec.paths).filter(([path]) => path.startsWith('/api/v1/'));
    assert.ok(admin.length >= 15);
    for (const [path, operations] of admin) {
      for (const [method, op] of Object.entries(operations)) {
        const codes = Object.keys(op.responses);
        const where = `${method.toUpperCase()} ${path}: ${codes.join(',')}`;
        assert.ok(op.security, `${where} has no security`);
        for (const code of ['401', '403', '429']) assert.ok(codes.includes(code), where);
        if (op.parameters?.length || op.requestBody) assert.ok(codes.includes('400'), where);
        // A success response, with the schema of its body unless it has none (204).
        const success = codes.filter((code) => /^2\d\d$/.test(code));
        assert.ok(success.length > 0, `${where}: no 2xx response`);
        for (const code of success) {
          if (code === '204') continue;
          const content = Object.values(op.responses[code].content ?? {});
          assert.ok(
            content.length > 0 && content.every((c) => c.schema),
            `${where}: ${code} has no body schema`,
          );
        }
        // Only routes that name a resource can answer "not found".
        if (!path.includes('{')) assert.ok(!codes.includes('404'), `${where}: 404 on a collection`);
      }
    }
  });
});

describe('schema', () => {
  it('entities and migrations agree: generating a migration after all have run yields nothing', async () => {
    const db = await TestDatabase.create();
    const { DataSource } = await import('typeorm');
    const { dataSourceOptions } = await import('../src/database/data-source-options.js');
    const dataSource = new DataSource(dataSourceOptions(db.url));
    try {
      await dataSource.initialize();
      await dataSource.runMigrations();
      const drift = await dataSource.driver.createSchemaBuilder().log();
      assert.deepEqual(
        drift.upQueries.map((q) => q.query),
        [],
        'entities differ from migrations: write a migration (npm run migration:generate)',
      );
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
