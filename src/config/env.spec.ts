import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, envValidationSchema, parseEnv } from './env.js';

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

  it('names a node and bounds how long a silent node counts as alive', () => {
    const env = parseEnv({ CONVENE_NODE_ID: 'pod-a_1.zone' });
    assert.equal(env.nodeId, 'pod-a_1.zone');
    assert.equal(env.nodeTtlSeconds, 5);
    assert.equal(env.nodeRequestTimeoutMs, 3000);
    assert.equal(parseEnv({}).nodeId, undefined);
    const problems = problemsOf({
      CONVENE_NODE_ID: 'pod a/1',
      CONVENE_NODE_TTL_SECONDS: '1',
      CONVENE_NODE_REQUEST_TIMEOUT_MS: 'soon',
    });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /^CONVENE_NODE_ID must be 1-64 letters/m);
    assert.match(
      problems.join('\n'),
      /^CONVENE_NODE_TTL_SECONDS must be an integer between 2 and 300/m,
    );
    assert.match(problems.join('\n'), /^CONVENE_NODE_REQUEST_TIMEOUT_MS must be an integer/m);
  });

  it('sends webhooks only to http(s) URLs without credentials, and only with a secret', () => {
    const off = parseEnv({});
    assert.deepEqual(off.webhookUrls, []);
    assert.equal(off.webhookSecret, undefined);
    assert.equal(off.webhookMaxAttempts, 15);
    assert.equal(off.webhookBackoffMs, 1000);
    assert.equal(off.webhookTimeoutMs, 10_000);
    assert.equal(off.webhookRetentionDays, 30);
    const on = parseEnv({
      CONVENE_WEBHOOK_URLS: 'https://hooks.example.com/convene, http://10.0.0.5:8080/in,',
      CONVENE_WEBHOOK_SECRET: 'x'.repeat(32),
    });
    assert.deepEqual(on.webhookUrls, [
      'https://hooks.example.com/convene',
      'http://10.0.0.5:8080/in',
    ]);
    assert.deepEqual(problemsOf({ CONVENE_WEBHOOK_URLS: 'https://hooks.example.com/' }), [
      'CONVENE_WEBHOOK_SECRET must be set with CONVENE_WEBHOOK_URLS (every delivery is signed with it)',
    ]);
    const problems = problemsOf({
      CONVENE_WEBHOOK_URLS: 'ftp://x/, https://user:pw@hooks.example.com/',
      CONVENE_WEBHOOK_SECRET: 'short',
      CONVENE_WEBHOOK_MAX_ATTEMPTS: '0',
    });
    assert.equal(problems.length, 3);
    assert.match(
      problems.join('\n'),
      /^CONVENE_WEBHOOK_URLS must be a comma-separated list of http or https URLs without credentials \(not: ftp:\/\/x\/, https:\/\/\*\*\*@hooks.example.com\/\)/m,
    );
    assert.match(problems.join('\n'), /^CONVENE_WEBHOOK_SECRET must be at least 32 characters/m);
    assert.match(
      problems.join('\n'),
      /^CONVENE_WEBHOOK_MAX_ATTEMPTS must be an integer between 1/m,
    );
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

  it('reads allowed origins as exact origins, and refuses anything with a path or that is not http(s)', () => {
    assert.deepEqual(parseEnv({}).allowedOrigins, []);
    assert.deepEqual(
      parseEnv({
        CONVENE_ALLOWED_ORIGINS:
          ' https://App.Example.com , http://localhost:8080/,https://x.example:443',
      }).allowedOrigins,
      ['https://app.example.com', 'http://localhost:8080', 'https://x.example'],
    );
    for (const bad of [
      'https://app.example.com/path',
      'app.example.com',
      'ftp://app.example.com',
      'https://app.example.com?x=1',
      'https://user@app.example.com',
      '*',
    ]) {
      const problems = problemsOf({ CONVENE_ALLOWED_ORIGINS: `https://ok.example, ${bad}` });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0], /^CONVENE_ALLOWED_ORIGINS must be/);
      assert.ok(problems[0].includes(bad) && !problems[0].includes('ok.example'), problems[0]);
    }
  });

  it('serves metrics on their own port: 9464 by default, never the public one', () => {
    assert.equal(parseEnv({}).metricsPort, 9464);
    assert.equal(parseEnv({ CONVENE_METRICS_PORT: '0', PORT: '0' }).metricsPort, 0);
    assert.ok(
      problemsOf({ CONVENE_METRICS_PORT: '3000' }).some((p) =>
        p.startsWith('CONVENE_METRICS_PORT must differ from PORT'),
      ),
    );
    assert.ok(
      problemsOf({ CONVENE_METRICS_PORT: 'x' }).some((p) => p.startsWith('CONVENE_METRICS_PORT')),
    );
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

  it('bounds the socket packet size: 64 KiB by default, at least 16 KiB', () => {
    assert.equal(parseEnv({}).wsMaxPayloadBytes, 65_536);
    assert.equal(parseEnv({ CONVENE_WS_MAX_PAYLOAD_BYTES: '200000' }).wsMaxPayloadBytes, 200_000);
    for (const value of ['1000', 'lots', '20000000'])
      assert.ok(
        problemsOf({ CONVENE_WS_MAX_PAYLOAD_BYTES: value }).some((p) =>
          p.startsWith('CONVENE_WS_MAX_PAYLOAD_BYTES must be an integer between 16384 and'),
        ),
        value,
      );
  });

  it('bounds the drain on SIGTERM: 20 s by default, 0 to 3600', () => {
    assert.equal(parseEnv({}).drainSeconds, 20);
    assert.equal(parseEnv({ CONVENE_DRAIN_SECONDS: '0' }).drainSeconds, 0);
    for (const value of ['-1', '3601', 'soon'])
      assert.ok(
        problemsOf({ CONVENE_DRAIN_SECONDS: value }).some((p) =>
          p.startsWith('CONVENE_DRAIN_SECONDS must be an integer between 0 and 3600'),
        ),
        value,
      );
  });

  it('checks the rules between variables even when another variable is bad', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      CONVENE_MIGRATIONS_RUN: 'maybe',
      PORT: 'eighty',
      CONVENE_ADMIN_API_KEY: 'k'.repeat(32),
    });
    assert.deepEqual(problems.sort(), [
      'CONVENE_JWT_SECRET must be set in production (one secret shared by every node)',
      'CONVENE_MIGRATIONS_RUN must be true or false (got "maybe")',
      'PORT must be an integer between 0 and 65535 (got "eighty")',
    ]);
  });

  it('lets guests share their screen unless CONVENE_GUESTS_MAY_SHARE is false', () => {
    assert.equal(parseEnv({}).guestsMayShare, true);
    assert.equal(parseEnv({ CONVENE_GUESTS_MAY_SHARE: 'false' }).guestsMayShare, false);
    assert.deepEqual(problemsOf({ CONVENE_GUESTS_MAY_SHARE: 'guests' }), [
      'CONVENE_GUESTS_MAY_SHARE must be true or false (got "guests")',
    ]);
  });

  it('reads ICE servers as a JSON array and says which entry is wrong, without repeating credentials', () => {
    assert.deepEqual(parseEnv({}).iceServers, []);
    const servers = parseEnv({
      CONVENE_ICE_SERVERS:
        '[{"urls":"stun:stun.example.com:3478"},{"urls":["turn:10.0.0.9:3478?transport=tcp","turns:[2001:db8::1]:5349"],"username":"corp","credential":"pw"}]',
    }).iceServers;
    assert.deepEqual(servers, [
      { urls: 'stun:stun.example.com:3478' },
      {
        urls: ['turn:10.0.0.9:3478?transport=tcp', 'turns:[2001:db8::1]:5349'],
        username: 'corp',
        credential: 'pw',
      },
    ]);
    assert.deepEqual(problemsOf({ CONVENE_ICE_SERVERS: '{"urls":"stun:x"}' }), [
      'CONVENE_ICE_SERVERS must be a JSON array such as [{"urls":"stun:stun.example.com:3478"}]',
    ]);
    assert.match(problemsOf({ CONVENE_ICE_SERVERS: '[{urls:' })[0] ?? '', /not valid JSON/);
    const [problem, ...rest] = problemsOf({
      CONVENE_ICE_SERVERS:
        '[{"urls":"http://stun.example.com"},{"urls":"turn:t.example.com","username":"u"},{"urls":[],"credential":"hunter2"},{"urls":"stun:s","password":"hunter2"}]',
    });
    assert.equal(rest.length, 0);
    assert.match(
      problem ?? '',
      /^CONVENE_ICE_SERVERS entry \[0\]\.urls must be stun:, stuns:, turn: or turns: URLs .*\(not: http:\/\/stun\.example\.com\)/,
    );
    assert.match(
      problem ?? '',
      /entry \[1\] has a TURN URL, so it needs a username and a credential/,
    );
    assert.match(problem ?? '', /entry \[2\]\.urls must be a URL or a non-empty array of URLs/);
    assert.match(problem ?? '', /entry \[3\] has unknown keys \(password\)/);
    assert.doesNotMatch(problem ?? '', /hunter2/);
  });

  it('issues TURN credentials with a secret and TURN URLs together, and refuses a short secret in production', () => {
    const off = parseEnv({});
    assert.equal(off.turnSecret, undefined);
    assert.deepEqual(off.turnUrls, []);
    assert.equal(off.turnTtlSeconds, 3600);
    const on = parseEnv({
      CONVENE_TURN_SECRET: 'dev-secret',
      CONVENE_TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349',
      CONVENE_TURN_TTL_SECONDS: '600',
    });
    assert.deepEqual(on.turnUrls, [
      'turn:turn.example.com:3478?transport=udp',
      'turns:turn.example.com:5349',
    ]);
    assert.equal(on.turnTtlSeconds, 600);
    assert.deepEqual(problemsOf({ CONVENE_TURN_SECRET: 'x'.repeat(40) }), [
      'CONVENE_TURN_URLS and CONVENE_TURN_SECRET go together: set both (or neither)',
    ]);
    assert.deepEqual(problemsOf({ CONVENE_TURN_URLS: 'turn:t.example.com' }), [
      'CONVENE_TURN_URLS and CONVENE_TURN_SECRET go together: set both (or neither)',
    ]);
    const production = {
      NODE_ENV: 'production',
      CONVENE_JWT_SECRET: 'x'.repeat(40),
      CONVENE_ADMIN_API_KEY: 'k'.repeat(32),
      CONVENE_TURN_URLS: 'turn:turn.example.com',
    };
    const short = problemsOf({ ...production, CONVENE_TURN_SECRET: 'short-secret-value' });
    assert.equal(short.length, 1);
    assert.match(
      short[0] ?? '',
      /^CONVENE_TURN_SECRET must be at least 32 characters in production/,
    );
    assert.doesNotMatch(short[0] ?? '', /short-secret-value/);
    assert.deepEqual(problemsOf({ ...production, CONVENE_TURN_SECRET: 's'.repeat(32) }), []);
    const bad = problemsOf({
      CONVENE_TURN_SECRET: 'x'.repeat(32),
      CONVENE_TURN_URLS: 'stun:s.example.com, turn:ok.example.com, https://t.example.com',
      CONVENE_TURN_TTL_SECONDS: '10',
    });
    assert.equal(bad.length, 2);
    assert.match(
      bad.join('\n'),
      /^CONVENE_TURN_URLS must be a comma-separated list of turn: or turns: URLs .*\(not: stun:s\.example\.com, https:\/\/t\.example\.com\)/m,
    );
    assert.match(bad.join('\n'), /^CONVENE_TURN_TTL_SECONDS must be an integer between 60/m);
  });

  it('gives ConfigModule a schema with the same problems that leaves the variables as they are', async () => {
    const raw = { NODE_ENV: 'production', PORT: 'eighty' };
    const failed = await envValidationSchema['~standard'].validate(raw);
    assert.deepEqual(
      failed.issues?.map((i) => `${i.path?.[0] as string} ${i.message}`),
      problemsOf(raw),
    );
    const ok = await envValidationSchema['~standard'].validate({ PORT: '8080' });
    assert.deepEqual(ok.issues, undefined);
    assert.deepEqual('value' in ok && ok.value, { PORT: '8080' });
  });
});
