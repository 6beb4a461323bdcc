/**
 * Every environment variable convene reads, in one place: one zod schema that parses,
 * validates and types them. A bad value stops the process with a message naming the variable;
 * every bad variable is reported at once.
 */

import { z } from 'zod';
import { trustEntryProblem, type TrustProxy } from '../common/client-address.js';
import type { IceServer } from '../protocol/events.js';
import { badTurnUrls, parseIceServers } from './ice-servers.js';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

type Raw = Record<string, string | undefined>;

const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A variable as set: trimmed; unset and blank both mean "not set" (so its default applies). */
const variable = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined), schema);

const oneOf = <const T extends readonly [string, ...string[]]>(allowed: T) =>
  z.enum(allowed, {
    error: (issue) => `must be one of ${allowed.join(', ')} (got "${String(issue.input)}")`,
  });

const int = (min: number, max: number) =>
  z
    .string()
    .refine(
      (v) => {
        const n = Number(v);
        return Number.isInteger(n) && n >= min && n <= max;
      },
      {
        error: (issue) =>
          `must be an integer between ${min} and ${max} (got "${String(issue.input)}")`,
      },
    )
    .transform(Number);

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
// Not z.stringbool(): its failure aborts the whole parse, hiding the rules between variables.
const bool = () =>
  z
    .string()
    .refine((v) => [...TRUE, ...FALSE].includes(v.toLowerCase()), {
      error: (issue) => `must be true or false (got "${String(issue.input)}")`,
    })
    .transform((v) => TRUE.includes(v.toLowerCase()));

const secret = (minLength: number) =>
  z.string().min(minLength, `must be at least ${minLength} characters`);

/** Parsed with WHATWG `URL`, as the clients that use it will; only the protocol is checked. */
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(' or ')} URL`,
  );

const commaList = (v: string) =>
  v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

/** A URL as a message may quote it: credentials are not repeated into logs. */
function redacted(value: string): string {
  try {
    const url = new URL(value);
    if (url.username === '' && url.password === '') return value;
    url.username = '***';
    url.password = '';
    return url.href;
  } catch {
    return value;
  }
}

/** A comma list of http(s) URLs without credentials (they would be stored in every delivery row). */
const webhookUrls = () =>
  z.string().transform((v, ctx) => {
    const entries = commaList(v);
    const bad = entries.filter((e) => {
      try {
        const u = new URL(e);
        return !['http:', 'https:'].includes(u.protocol) || u.username !== '' || u.password !== '';
      } catch {
        return true;
      }
    });
    if (entries.length === 0 || bad.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: `must be a comma-separated list of http or https URLs without credentials (not: ${bad.map(redacted).join(', ') || 'empty list'})`,
      });
      return z.NEVER;
    }
    return [...new Set(entries.map((e) => new URL(e).href))];
  });

/** A JSON array of RTCIceServer-like objects (see ice-servers.ts). */
const iceServers = () =>
  z.string().transform((v, ctx): IceServer[] => {
    const parsed = parseIceServers(v);
    if ('servers' in parsed) return parsed.servers;
    ctx.issues.push({ code: 'custom', input: '(not repeated)', message: parsed.problem });
    return z.NEVER;
  });

/** A comma list of turn: / turns: URLs. */
const turnUrls = () =>
  z.string().transform((v, ctx) => {
    const entries = commaList(v);
    const bad = badTurnUrls(entries);
    if (entries.length === 0 || bad.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: `must be a comma-separated list of turn: or turns: URLs such as turn:turn.example.com:3478?transport=udp (not: ${bad.join(', ') || 'empty list'})`,
      });
      return z.NEVER;
    }
    return [...new Set(entries)];
  });

/** TURN REST secrets shorter than this are refused in production (coturn's static-auth-secret). */
export const TURN_SECRET_MIN_LENGTH = 32;

/** `false`, `true`, a hop count, or a comma list of IPs, CIDR ranges and preset names. */
const trustProxy = () =>
  z.string().transform((v, ctx): TrustProxy => {
    if (v.toLowerCase() === 'false') return false;
    if (v.toLowerCase() === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = commaList(v);
    const problems = entries.map(trustEntryProblem).filter((p) => p !== undefined);
    if (entries.length === 0 || problems.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: `must be false, true, a number of proxy hops, or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal (${problems.join('; ') || 'empty list'})`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** A comma list of web origins (`https://app.example.com[:port]`, no path), normalized. */
const origins = () =>
  z.string().transform((v, ctx) => {
    const entries = commaList(v);
    const bad = entries.filter((e) => originOf(e) === undefined);
    if (bad.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: `must be a comma-separated list of origins such as https://app.example.com or http://localhost:8080, without path, query or credentials (not: ${bad.join(', ')})`,
      });
      return z.NEVER;
    }
    return [...new Set(entries.map((e) => originOf(e) as string))];
  });

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

/** Each variable on its own: its type, range and default. */
const variables = z.object({
  NODE_ENV: variable(oneOf(NODE_ENVS).default('development')),
  PORT: variable(int(0, 65535).default(3000)),
  HOST: variable(z.string().default('0.0.0.0')),
  LOG_LEVEL: variable(oneOf(LOG_LEVELS).default('info')),
  CONVENE_TRUST_PROXY: variable(trustProxy().default(false)),
  CONVENE_ALLOWED_ORIGINS: variable(origins().default([])),
  CONVENE_METRICS_PORT: variable(int(0, 65535).default(9464)),
  CONVENE_METRICS_HOST: variable(z.string().default('0.0.0.0')),
  DATABASE_URL: variable(url(['postgres:', 'postgresql:']).optional()),
  CONVENE_DATA_DIR: variable(z.string().default('./.convene')),
  /** Unset: `pgdata` inside CONVENE_DATA_DIR. */
  CONVENE_EMBEDDED_PG_DIR: variable(z.string().optional()),
  CONVENE_EMBEDDED_PG_PORT: variable(int(1, 65535).default(54329)),
  CONVENE_MIGRATIONS_RUN: variable(bool().default(true)),
  CONVENE_DB_QUERY_TIMEOUT_MS: variable(int(100, 600_000).default(10_000)),
  CONVENE_JWT_SECRET: variable(secret(32).optional()),
  CONVENE_TOKEN_TTL_SECONDS: variable(int(60, 30 * 24 * 3600).default(8 * 3600)),
  CONVENE_ADMIN_API_KEY: variable(secret(24).optional()),
  CONVENE_JWKS_URL: variable(url(['http:', 'https:']).optional()),
  CONVENE_JWT_ISSUER: variable(z.string().optional()),
  CONVENE_JWT_AUDIENCE: variable(z.string().optional()),
  CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: variable(int(1, 1_000_000).default(600)),
  CONVENE_CHAT_RETENTION_DAYS: variable(int(1, 36500).optional()),
  CONVENE_CHAT_RATE_LIMIT_PER_10S: variable(int(1, 100_000).default(30)),
  CONVENE_AUDIT_SIGNING_KEY: variable(secret(32).optional()),
  REDIS_URL: variable(url(['redis:', 'rediss:']).optional()),
  CONVENE_REDIS_KEY_PREFIX: variable(z.string().default('convene:')),
  /** This process's name among the nodes sharing a Redis (unique; generated when unset). */
  CONVENE_NODE_ID: variable(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .optional(),
  ),
  /** How long a node's presence outlives its last heartbeat. */
  CONVENE_NODE_TTL_SECONDS: variable(int(2, 300).default(5)),
  /** How long a request to another node may take before that node counts as gone. */
  CONVENE_NODE_REQUEST_TIMEOUT_MS: variable(int(100, 60_000).default(3000)),
  CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT: variable(int(1, 1000).default(5)),
  CONVENE_MAX_CONNECTIONS_PER_ADDRESS: variable(int(1, 1_000_000).default(200)),
  CONVENE_MEDIA_WORKERS: variable(int(1, 256).optional()),
  /** Transports one room's router takes before the room spreads to another worker. */
  CONVENE_MEDIA_ROUTER_MAX_TRANSPORTS: variable(int(1, 100_000).default(400)),
  CONVENE_RTC_MIN_PORT: variable(int(1024, 65535).default(40000)),
  CONVENE_RTC_MAX_PORT: variable(int(1024, 65535).default(40099)),
  CONVENE_RTC_LISTEN_IP: variable(z.string().default('0.0.0.0')),
  CONVENE_ANNOUNCED_ADDRESS: variable(z.string().optional()),
  CONVENE_GUEST_AUDIO_ONLY: variable(bool().default(false)),
  /** false: guests never share their screen, whatever a room allows. */
  CONVENE_GUESTS_MAY_SHARE: variable(bool().default(true)),
  CONVENE_ROOM_GRACE_SECONDS: variable(int(0, 86400).default(30)),
  CONVENE_WS_MAX_PAYLOAD_BYTES: variable(int(16_384, 10_000_000).default(65_536)),
  /** Socket events one connection may send per second, sustained, and in a burst. */
  CONVENE_WS_EVENTS_PER_SECOND: variable(int(1, 1_000_000).default(100)),
  CONVENE_WS_EVENT_BURST: variable(int(1, 1_000_000).default(200)),
  CONVENE_WEBHOOK_URLS: variable(webhookUrls().default([])),
  CONVENE_WEBHOOK_SECRET: variable(secret(32).optional()),
  CONVENE_WEBHOOK_MAX_ATTEMPTS: variable(int(1, 100).default(15)),
  /** The first retry's delay; each next one doubles (with jitter), up to an hour. */
  CONVENE_WEBHOOK_BACKOFF_MS: variable(int(10, 3_600_000).default(1000)),
  CONVENE_WEBHOOK_TIMEOUT_MS: variable(int(100, 60_000).default(10_000)),
  /** How often a node looks for deliveries enqueued by other nodes. */
  CONVENE_WEBHOOK_POLL_MS: variable(int(10, 60_000).default(1000)),
  /** Delivered and failed deliveries older than this are deleted, hourly. */
  CONVENE_WEBHOOK_RETENTION_DAYS: variable(int(1, 36500).default(30)),
  /** Given to browsers for their transports (STUN, TURN with fixed credentials). */
  CONVENE_ICE_SERVERS: variable(iceServers().default([])),
  /** coturn's `static-auth-secret`: time-limited TURN credentials per participant. */
  CONVENE_TURN_SECRET: variable(z.string().optional()),
  CONVENE_TURN_URLS: variable(turnUrls().default([])),
  CONVENE_TURN_TTL_SECONDS: variable(int(60, 7 * 86400).default(3600)),
  /** On SIGTERM, how long the process waits for its connections to move before it closes. */
  CONVENE_DRAIN_SECONDS: variable(int(0, 3600).default(20)),
  /** Rooms with more participants than this announce joins and leaves in batches. */
  CONVENE_PRESENCE_BATCH_ABOVE: variable(int(1, 100_000).default(100)),
  /** How long a large room's joins and leaves are gathered before they are announced together. */
  CONVENE_PRESENCE_BATCH_MS: variable(int(10, 5000).default(200)),
});

type Variable = keyof z.input<typeof variables>;

/**
 * A rule between variables runs once the variables it reads are valid, whatever else is wrong,
 * so that one boot reports every problem.
 */
const whenValid = (...names: Variable[]) => ({
  when: (payload: z.core.ParsePayload) =>
    !payload.issues.some((issue) => names.includes(issue.path?.[0] as Variable)),
});

/** The variables together: rules between them (production needs its own secrets), then typed. */
const envSchema = variables
  .refine((v) => v.CONVENE_RTC_MIN_PORT <= v.CONVENE_RTC_MAX_PORT, {
    path: ['CONVENE_RTC_MIN_PORT'],
    message: 'must not be greater than CONVENE_RTC_MAX_PORT',
    ...whenValid('CONVENE_RTC_MIN_PORT', 'CONVENE_RTC_MAX_PORT'),
  })
  .refine((v) => v.CONVENE_METRICS_PORT === 0 || v.CONVENE_METRICS_PORT !== v.PORT, {
    path: ['CONVENE_METRICS_PORT'],
    message: 'must differ from PORT (metrics stay off the public port)',
    ...whenValid('CONVENE_METRICS_PORT', 'PORT'),
  })
  .refine(
    (v) => v.CONVENE_JWKS_URL === undefined || (!!v.CONVENE_JWT_ISSUER && !!v.CONVENE_JWT_AUDIENCE),
    {
      message: 'CONVENE_JWT_ISSUER and CONVENE_JWT_AUDIENCE are required with CONVENE_JWKS_URL',
      ...whenValid('CONVENE_JWKS_URL'),
    },
  )
  // Every node must verify every node's tokens, so production names its one secret.
  .refine((v) => v.NODE_ENV !== 'production' || v.CONVENE_JWT_SECRET !== undefined, {
    path: ['CONVENE_JWT_SECRET'],
    message: 'must be set in production (one secret shared by every node)',
    ...whenValid('NODE_ENV', 'CONVENE_JWT_SECRET'),
  })
  .refine((v) => v.NODE_ENV !== 'production' || v.CONVENE_ADMIN_API_KEY !== undefined, {
    path: ['CONVENE_ADMIN_API_KEY'],
    message: 'must be set in production',
    ...whenValid('NODE_ENV', 'CONVENE_ADMIN_API_KEY'),
  })
  .refine((v) => v.CONVENE_WEBHOOK_URLS.length === 0 || v.CONVENE_WEBHOOK_SECRET !== undefined, {
    path: ['CONVENE_WEBHOOK_SECRET'],
    message: 'must be set with CONVENE_WEBHOOK_URLS (every delivery is signed with it)',
    ...whenValid('CONVENE_WEBHOOK_URLS', 'CONVENE_WEBHOOK_SECRET'),
  })
  .refine((v) => (v.CONVENE_TURN_SECRET === undefined) === (v.CONVENE_TURN_URLS.length === 0), {
    path: ['CONVENE_TURN_URLS'],
    message: 'and CONVENE_TURN_SECRET go together: set both (or neither)',
    ...whenValid('CONVENE_TURN_SECRET', 'CONVENE_TURN_URLS'),
  })
  .refine(
    (v) =>
      v.NODE_ENV !== 'production' ||
      v.CONVENE_TURN_SECRET === undefined ||
      v.CONVENE_TURN_SECRET.length >= TURN_SECRET_MIN_LENGTH,
    {
      path: ['CONVENE_TURN_SECRET'],
      message: `must be at least ${TURN_SECRET_MIN_LENGTH} characters in production (anyone who guesses it can relay through your TURN server; e.g. openssl rand -hex 32)`,
      ...whenValid('NODE_ENV', 'CONVENE_TURN_SECRET'),
    },
  )
  .transform((v) => ({
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    logLevel: v.LOG_LEVEL,
    trustProxy: v.CONVENE_TRUST_PROXY,
    allowedOrigins: v.CONVENE_ALLOWED_ORIGINS,
    metricsPort: v.CONVENE_METRICS_PORT,
    metricsHost: v.CONVENE_METRICS_HOST,
    databaseUrl: v.DATABASE_URL,
    /** convene's own files (the generated JWT secret, the embedded PostgreSQL's data). */
    dataDir: v.CONVENE_DATA_DIR,
    embeddedPgDir: v.CONVENE_EMBEDDED_PG_DIR ?? `${v.CONVENE_DATA_DIR.replace(/\/+$/, '')}/pgdata`,
    embeddedPgPort: v.CONVENE_EMBEDDED_PG_PORT,
    migrationsRun: v.CONVENE_MIGRATIONS_RUN,
    dbQueryTimeoutMs: v.CONVENE_DB_QUERY_TIMEOUT_MS,
    /** Unset: a random secret is generated once and kept in the data folder (not in production). */
    jwtSecret: v.CONVENE_JWT_SECRET,
    tokenTtlSeconds: v.CONVENE_TOKEN_TTL_SECONDS,
    adminApiKey: v.CONVENE_ADMIN_API_KEY,
    jwksUrl: v.CONVENE_JWKS_URL,
    jwtIssuer: v.CONVENE_JWT_ISSUER,
    jwtAudience: v.CONVENE_JWT_AUDIENCE,
    adminRateLimitPerMinute: v.CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE,
    chatRetentionDays: v.CONVENE_CHAT_RETENTION_DAYS,
    chatRateLimitPer10s: v.CONVENE_CHAT_RATE_LIMIT_PER_10S,
    auditSigningKey: v.CONVENE_AUDIT_SIGNING_KEY,
    redisUrl: v.REDIS_URL,
    redisKeyPrefix: v.CONVENE_REDIS_KEY_PREFIX,
    nodeId: v.CONVENE_NODE_ID,
    nodeTtlSeconds: v.CONVENE_NODE_TTL_SECONDS,
    nodeRequestTimeoutMs: v.CONVENE_NODE_REQUEST_TIMEOUT_MS,
    maxConnectionsPerParticipant: v.CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT,
    maxConnectionsPerAddress: v.CONVENE_MAX_CONNECTIONS_PER_ADDRESS,
    mediaWorkers: v.CONVENE_MEDIA_WORKERS,
    routerMaxTransports: v.CONVENE_MEDIA_ROUTER_MAX_TRANSPORTS,
    rtcMinPort: v.CONVENE_RTC_MIN_PORT,
    rtcMaxPort: v.CONVENE_RTC_MAX_PORT,
    rtcListenIp: v.CONVENE_RTC_LISTEN_IP,
    announcedAddress: v.CONVENE_ANNOUNCED_ADDRESS,
    guestAudioOnly: v.CONVENE_GUEST_AUDIO_ONLY,
    guestsMayShare: v.CONVENE_GUESTS_MAY_SHARE,
    roomGraceSeconds: v.CONVENE_ROOM_GRACE_SECONDS,
    wsMaxPayloadBytes: v.CONVENE_WS_MAX_PAYLOAD_BYTES,
    wsEventsPerSecond: v.CONVENE_WS_EVENTS_PER_SECOND,
    wsEventBurst: v.CONVENE_WS_EVENT_BURST,
    webhookUrls: v.CONVENE_WEBHOOK_URLS,
    webhookSecret: v.CONVENE_WEBHOOK_SECRET,
    webhookMaxAttempts: v.CONVENE_WEBHOOK_MAX_ATTEMPTS,
    webhookBackoffMs: v.CONVENE_WEBHOOK_BACKOFF_MS,
    webhookTimeoutMs: v.CONVENE_WEBHOOK_TIMEOUT_MS,
    webhookPollMs: v.CONVENE_WEBHOOK_POLL_MS,
    webhookRetentionDays: v.CONVENE_WEBHOOK_RETENTION_DAYS,
    drainSeconds: v.CONVENE_DRAIN_SECONDS,
    presenceBatchAbove: v.CONVENE_PRESENCE_BATCH_ABOVE,
    presenceBatchMs: v.CONVENE_PRESENCE_BATCH_MS,
    iceServers: v.CONVENE_ICE_SERVERS,
    turnSecret: v.CONVENE_TURN_SECRET,
    turnUrls: v.CONVENE_TURN_URLS,
    turnTtlSeconds: v.CONVENE_TURN_TTL_SECONDS,
  }));

export type Env = z.output<typeof envSchema>;

/** "NAME what is wrong", one line per problem (a rule between variables names them itself). */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message,
  );
}

/** Parses and validates the environment; throws ConfigValidationError listing every problem. */
export function parseEnv(raw: Raw): Env {
  const result = envSchema.safeParse(raw);
  if (!result.success) throw new ConfigValidationError(problemsOf(result.error));
  return result.data;
}

/**
 * The same schema for `ConfigModule.forRoot({ validationSchema })`: it reports the same
 * problems but keeps the variables as they are, because Nest copies a schema's output into
 * `process.env` (which would add every default there, and numbers as strings).
 */
export const envValidationSchema = z.looseObject({}).superRefine((raw, ctx) => {
  const result = envSchema.safeParse(raw);
  for (const issue of result.error?.issues ?? []) {
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: raw });
  }
});
