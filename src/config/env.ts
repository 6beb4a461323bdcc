/**
 * Every environment variable convene reads, in one place: parsed, validated and typed.
 * A bad value stops the process with a message naming the variable.
 */

import { trustEntryProblem, type TrustProxy } from '../common/client-address.js';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

type Raw = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Raw) {}

  private value(name: string): string | undefined {
    const v = this.raw[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.value(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.value(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.optionalInt(name, min, max);
    return v ?? fallback;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${v}")`);
      return undefined;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name} must be true or false (got "${v}")`);
    return fallback;
  }

  /** `false`, `true`, a hop count, or a comma list of IPs, CIDR ranges and preset names. */
  trustProxy(name: string): TrustProxy {
    const v = this.value(name);
    if (v === undefined || v.toLowerCase() === 'false') return false;
    if (v.toLowerCase() === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const problems = entries.map(trustEntryProblem).filter((p) => p !== undefined);
    if (entries.length === 0 || problems.length > 0) {
      this.problems.push(
        `${name} must be false, true, a number of proxy hops, or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal (${problems.join('; ') || 'empty list'})`,
      );
      return false;
    }
    return entries;
  }

  /** A comma list of web origins (`https://app.example.com[:port]`, no path), normalized. */
  origins(name: string): string[] {
    const v = this.value(name);
    if (v === undefined) return [];
    const entries = v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const bad = entries.filter((e) => originOf(e) === undefined);
    if (bad.length > 0) {
      this.problems.push(
        `${name} must be a comma-separated list of origins such as https://app.example.com or http://localhost:8080, without path, query or credentials (not: ${bad.join(', ')})`,
      );
      return [];
    }
    return [...new Set(entries.map((e) => originOf(e) as string))];
  }

  url(name: string, protocols: string[]): string | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    try {
      const parsed = new URL(v);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return v;
    } catch {
      this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return undefined;
    }
  }
}

/** `scheme://host[:port]` of an http(s) URL that has nothing else (a trailing `/` is allowed). */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    const bare =
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.pathname === '/' &&
      url.search === '' &&
      url.hash === '' &&
      url.username === '' &&
      url.password === '' &&
      !/[?#]/.test(value);
    return bare ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Env {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  logLevel: LogLevel;
  trustProxy: TrustProxy;
  allowedOrigins: string[];
  metricsPort: number;
  metricsHost: string;
  databaseUrl: string | undefined;
  /** convene's own files (the generated JWT secret, the embedded PostgreSQL's data). */
  dataDir: string;
  embeddedPgDir: string;
  embeddedPgPort: number;
  migrationsRun: boolean;
  dbQueryTimeoutMs: number;
  /** Unset: a random secret is generated once and kept in the data folder (not in production). */
  jwtSecret: string | undefined;
  tokenTtlSeconds: number;
  adminApiKey: string | undefined;
  jwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  adminRateLimitPerMinute: number;
  chatRetentionDays: number | undefined;
  chatRateLimitPer10s: number;
  auditSigningKey: string | undefined;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** This process's name among the nodes sharing a Redis (unique; generated when unset). */
  nodeId: string | undefined;
  /** How long a node's presence outlives its last heartbeat. */
  nodeTtlSeconds: number;
  /** How long a request to another node may take before that node counts as gone. */
  nodeRequestTimeoutMs: number;
  maxConnectionsPerParticipant: number;
  maxConnectionsPerAddress: number;
  mediaWorkers: number | undefined;
  routerMaxTransports: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  rtcListenIp: string;
  announcedAddress: string | undefined;
  guestAudioOnly: boolean;
  roomGraceSeconds: number;
  wsMaxPayloadBytes: number;
}

/** Parses and validates the environment; throws ConfigValidationError listing every problem. */
export function parseEnv(raw: Raw): Env {
  const r = new Reader(raw);
  const dataDir = r.string('CONVENE_DATA_DIR', './.convene');
  const env: Env = {
    nodeEnv: r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
    port: r.int('PORT', 3000, 0, 65535),
    host: r.string('HOST', '0.0.0.0'),
    logLevel: r.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    trustProxy: r.trustProxy('CONVENE_TRUST_PROXY'),
    allowedOrigins: r.origins('CONVENE_ALLOWED_ORIGINS'),
    metricsPort: r.int('CONVENE_METRICS_PORT', 9464, 0, 65535),
    metricsHost: r.string('CONVENE_METRICS_HOST', '0.0.0.0'),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir,
    embeddedPgDir: r.string('CONVENE_EMBEDDED_PG_DIR', `${dataDir.replace(/\/+$/, '')}/pgdata`),
    embeddedPgPort: r.int('CONVENE_EMBEDDED_PG_PORT', 54329, 1, 65535),
    migrationsRun: r.bool('CONVENE_MIGRATIONS_RUN', true),
    dbQueryTimeoutMs: r.int('CONVENE_DB_QUERY_TIMEOUT_MS', 10_000, 100, 600_000),
    jwtSecret: r.optionalString('CONVENE_JWT_SECRET'),
    tokenTtlSeconds: r.int('CONVENE_TOKEN_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
    adminApiKey: r.optionalString('CONVENE_ADMIN_API_KEY'),
    jwksUrl: r.url('CONVENE_JWKS_URL', ['http:', 'https:']),
    jwtIssuer: r.optionalString('CONVENE_JWT_ISSUER'),
    jwtAudience: r.optionalString('CONVENE_JWT_AUDIENCE'),
    adminRateLimitPerMinute: r.int('CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    chatRetentionDays: r.optionalInt('CONVENE_CHAT_RETENTION_DAYS', 1, 36500),
    chatRateLimitPer10s: r.int('CONVENE_CHAT_RATE_LIMIT_PER_10S', 30, 1, 100_000),
    auditSigningKey: r.optionalString('CONVENE_AUDIT_SIGNING_KEY'),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: r.string('CONVENE_REDIS_KEY_PREFIX', 'convene:'),
    nodeId: r.optionalString('CONVENE_NODE_ID'),
    nodeTtlSeconds: r.int('CONVENE_NODE_TTL_SECONDS', 5, 2, 300),
    nodeRequestTimeoutMs: r.int('CONVENE_NODE_REQUEST_TIMEOUT_MS', 3000, 100, 60_000),
    maxConnectionsPerParticipant: r.int('CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT', 5, 1, 1000),
    maxConnectionsPerAddress: r.int('CONVENE_MAX_CONNECTIONS_PER_ADDRESS', 200, 1, 1_000_000),
    mediaWorkers: r.optionalInt('CONVENE_MEDIA_WORKERS', 1, 256),
    routerMaxTransports: r.int('CONVENE_MEDIA_ROUTER_MAX_TRANSPORTS', 400, 1, 100_000),
    rtcMinPort: r.int('CONVENE_RTC_MIN_PORT', 40000, 1024, 65535),
    rtcMaxPort: r.int('CONVENE_RTC_MAX_PORT', 40099, 1024, 65535),
    rtcListenIp: r.string('CONVENE_RTC_LISTEN_IP', '0.0.0.0'),
    announcedAddress: r.optionalString('CONVENE_ANNOUNCED_ADDRESS'),
    guestAudioOnly: r.bool('CONVENE_GUEST_AUDIO_ONLY', false),
    roomGraceSeconds: r.int('CONVENE_ROOM_GRACE_SECONDS', 30, 0, 86400),
    wsMaxPayloadBytes: r.int('CONVENE_WS_MAX_PAYLOAD_BYTES', 65_536, 16_384, 10_000_000),
  };

  if (env.nodeId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(env.nodeId)) {
    r.problems.push('CONVENE_NODE_ID must be 1-64 letters, digits, dots, dashes or underscores');
  }
  if (env.rtcMinPort > env.rtcMaxPort) {
    r.problems.push('CONVENE_RTC_MIN_PORT must not be greater than CONVENE_RTC_MAX_PORT');
  }
  if (env.metricsPort !== 0 && env.metricsPort === env.port) {
    r.problems.push(
      'CONVENE_METRICS_PORT must differ from PORT (metrics stay off the public port)',
    );
  }
  if (env.jwksUrl && (!env.jwtIssuer || !env.jwtAudience)) {
    r.problems.push(
      'CONVENE_JWT_ISSUER and CONVENE_JWT_AUDIENCE are required with CONVENE_JWKS_URL',
    );
  }
  if (env.jwtSecret !== undefined && env.jwtSecret.length < 32) {
    r.problems.push('CONVENE_JWT_SECRET must be at least 32 characters');
  }
  if (env.adminApiKey !== undefined && env.adminApiKey.length < 24) {
    r.problems.push('CONVENE_ADMIN_API_KEY must be at least 24 characters');
  }
  if (env.auditSigningKey !== undefined && env.auditSigningKey.length < 32) {
    r.problems.push('CONVENE_AUDIT_SIGNING_KEY must be at least 32 characters');
  }
  if (env.nodeEnv === 'production') {
    // Every node must verify every node's tokens, so production names its one secret.
    if (env.jwtSecret === undefined) {
      r.problems.push(
        'CONVENE_JWT_SECRET must be set in production (one secret shared by every node)',
      );
    }
    if (!env.adminApiKey) r.problems.push('CONVENE_ADMIN_API_KEY must be set in production');
  }
  if (r.problems.length > 0) throw new ConfigValidationError(r.problems);
  return env;
}
