import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, DEV_JWT_SECRET, parseEnv } from './env.js';

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
    assert.equal(env.embeddedPgDir, './.convene/pgdata');
    assert.equal(env.jwtSecret, DEV_JWT_SECRET);
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

  it('caps connections per participant and per address, a few tabs and an office by default', () => {
    const env = parseEnv({});
    assert.equal(env.maxConnectionsPerParticipant, 5);
    assert.equal(env.maxConnectionsPerAddress, 200);
    const problems = problemsOf({
      CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT: '0',
      CONVENE_MAX_CONNECTIONS_PER_ADDRESS: 'lots',
    });
    assert.ok(problems.some((p) => p.startsWith('CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT')));
    assert.ok(problems.some((p) => p.startsWith('CONVENE_MAX_CONNECTIONS_PER_ADDRESS')));
  });

  it('requires issuer and audience with a JWKS URL', () => {
    const problems = problemsOf({ CONVENE_JWKS_URL: 'https://idp.example.com/jwks' });
    assert.ok(problems.some((p) => p.includes('CONVENE_JWT_ISSUER')));
  });

  it('takes an audit signing key of at least 32 characters, and none by default', () => {
    assert.equal(parseEnv({}).auditSigningKey, undefined);
    assert.equal(
      parseEnv({ CONVENE_AUDIT_SIGNING_KEY: 's'.repeat(32) }).auditSigningKey,
      's'.repeat(32),
    );
    assert.deepEqual(problemsOf({ CONVENE_AUDIT_SIGNING_KEY: 'short' }), [
      'CONVENE_AUDIT_SIGNING_KEY must be at least 32 characters',
    ]);
  });
});
