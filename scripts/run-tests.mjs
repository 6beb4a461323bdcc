#!/usr/bin/env node
// Runs the whole suite with Node's test runner over the compiled output (what ships is what is
// tested). Unit tests: dist/src/**/*.spec.js; integration/e2e: dist/test/**/*.test.js.
// Tests use the PostgreSQL at DATABASE_URL (each test file creates its own fresh database there);
// without DATABASE_URL an embedded PostgreSQL is started for the run and stopped afterwards.
// Extra arguments filter test files by substring: `npm test -- chat`; one starting with `!` leaves
// matching files out: `npm test -- '!browser'`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('!'));
const excludes = args.filter((a) => a.startsWith('!')).map((a) => a.slice(1));

function collect(dir, suffix) {
  return readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

const files = [...collect('dist/src', '.spec.js'), ...collect('dist/test', '.test.js')]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !excludes.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${args.join(' ')}`);
  process.exit(1);
}

let embedded;
if (!process.env.DATABASE_URL) {
  const { EmbeddedPostgres } = await import(join(root, 'dist/src/database/embedded-postgres.js'));
  embedded = new EmbeddedPostgres({
    dataDir: join(root, '.convene', 'test-pgdata'),
    port: Number(process.env.CONVENE_TEST_PG_PORT ?? 54339),
  });
  process.env.DATABASE_URL = await embedded.start();
  console.log(`tests use an embedded PostgreSQL at ${process.env.DATABASE_URL}`);
} else {
  console.log(`tests use the PostgreSQL at ${new URL(process.env.DATABASE_URL).host}`);
}

// One data folder per run: every app the tests start shares its generated JWT secret (two apps
// on one database must accept each other's tokens), and no run sees another's.
const dataDir = mkdtempSync(join(tmpdir(), 'convene-test-data-'));

const concurrency = process.env.TEST_CONCURRENCY ?? '1';
const child = spawn(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-reporter=spec',
    `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 600000}`,
    `--test-concurrency=${concurrency}`,
    ...files.map((f) => relative(process.cwd(), join(root, f))),
  ],
  {
    stdio: 'inherit',
    env: {
      CONVENE_DATA_DIR: dataDir,
      ...process.env,
      NODE_ENV: 'test',
      CONVENE_TEST_ADMIN_URL: process.env.DATABASE_URL,
    },
  },
);
const code = await new Promise((resolve) =>
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
);
await embedded?.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(code);
