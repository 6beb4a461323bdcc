import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, parseEnv } from './env.js';

function problemsOf(raw: Record<string, string>): string[] {
  try {
    parseEnv(raw);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError);
    return error.problems;
  }
}

describe('parseEnv', () => {
  it('has working defaults for development', () => {
    const env = parseEnv({});
    assert.equal(env.port, 3000);
    assert.equal(env.nodeEnv, 'development');
    assert.equal(env.databaseUrl, undefined);
    assert.equal(env.dataDir, './.convene');
    assert.equal(env.embeddedPgDir, './.convene/pgdata');
    // No secret in the source: one is generated into the data folder where config is built.
    assert.equal(env.jwtSecret, undefined);
    assert.equal(env.migrationsRun, true);
    assert.equal(env.dbQueryTimeoutMs, 10_000);
  });

  it('names each bad variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      CONVENE_MIGRATIONS_RUN: 'maybe',
      LOG_LEVEL: 'loud',
      CONVENE_DB_QUERY_TIMEOUT_MS: '0',
    });
    assert.equal(problems.length, 5);
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'CONVENE_MIGRATIONS_RUN',
      'LOG_LEVEL',
      'CONVENE_DB_QUERY_TIMEOUT_MS',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(name)),
        `no problem names ${name}`,
      );
    }
  });

  it('keeps the embedded PostgreSQL inside the data folder unless told otherwise', () => {
    assert.equal(
      parseEnv({ CONVENE_DATA_DIR: '/var/lib/convene/' }).embeddedPgDir,
      '/var/lib/convene/pgdata',
    );
    const own = parseEnv({ CONVENE_DATA_DIR: '/data', CONVENE_EMBEDDED_PG_DIR: '/pg' });
    assert.equal(own.embeddedPgDir, '/pg');
  });

  it('refuses default secrets in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    assert.ok(problems.some((p) => p.startsWith('CONVENE_JWT_SECRET')));
    assert.ok(problems.some((p) => p.startsWith('CONVENE_ADMIN_API_KEY')));
  });

  it('starts in production with real secrets', () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      CONVENE_JWT_SECRET: 'x'.repeat(40),
      CONVENE_ADMIN_API_KEY: 'k'.repeat(32),
    });
    assert.equal(env.nodeEnv, 'production');
  });

  it('rejects short secrets and an inverted port range', () => {
    const problems = problemsOf({
      CONVENE_JWT_SECRET: 'short',
      CONVENE_RTC_MIN_PORT: '50000',
      CONVENE_RTC_MAX_PORT: '40000',
    });
    assert.ok(problems.some((p) => p.startsWith('CONVENE_JWT_SECRET')));
    assert.ok(problems.some((p) => p.startsWith('CONVENE_RTC_MIN_PORT')));
  });

  it('requires issuer and audience with a JWKS URL', () => {
    const problems = problemsOf({ CONVENE_JWKS_URL: 'https://idp.example.com/jwks' });
    assert.ok(problems.some((p) => p.includes('CONVENE_JWT_ISSUER')));
  });
});
