import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { registerAs } from '@nestjs/config';
import { type Env, parseEnv } from './env.js';
import { adminApiKeyOf, jwtSecretOf } from './jwt-secret.js';

/**
 * A feature's typed slice of the validated environment (inject with `@Inject(x.KEY)`). Each
 * slice parses the whole environment, so each stands alone (ConfigModule checked it at boot).
 */
const slice = <T extends Record<string, unknown>>(token: string, pick: (env: Env) => T) =>
  registerAs(token, () => pick(parseEnv(process.env)));

export const appConfig = slice('app', (env) => ({
  nodeEnv: env.nodeEnv,
  port: env.port,
  host: env.host,
  logLevel: env.logLevel,
  trustProxy: env.trustProxy,
  allowedOrigins: env.allowedOrigins,
}));

export const databaseConfig = slice('database', (env) => ({
  url: env.databaseUrl,
  embeddedDir: env.embeddedPgDir,
  embeddedPort: env.embeddedPgPort,
  migrationsRun: env.migrationsRun,
  queryTimeoutMs: env.dbQueryTimeoutMs,
}));

export const authConfig = slice('auth', (env) => {
  const secret = jwtSecretOf(env);
  const admin = adminApiKeyOf(env);
  return {
    jwtSecret: secret.secret,
    /** The file holding the generated secret; undefined when CONVENE_JWT_SECRET is set. */
    jwtSecretFile: secret.file,
    tokenTtlSeconds: env.tokenTtlSeconds,
    adminApiKey: admin.key,
    /** The file of the key generated in development; undefined when CONVENE_ADMIN_API_KEY is set. */
    adminApiKeyFile: admin.file,
    jwksUrl: env.jwksUrl,
    jwtIssuer: env.jwtIssuer,
    jwtAudience: env.jwtAudience,
    adminRateLimitPerMinute: env.adminRateLimitPerMinute,
  };
});

export const chatConfig = slice('chat', (env) => ({
  retentionDays: env.chatRetentionDays,
  rateLimitPer10s: env.chatRateLimitPer10s,
  auditSigningKey: env.auditSigningKey,
}));

export const mediaConfig = slice('media', (env) => ({
  workers: env.mediaWorkers,
  /** Transports one room's router takes before the room spreads to another worker. */
  routerMaxTransports: env.routerMaxTransports,
  rtcMinPort: env.rtcMinPort,
  rtcMaxPort: env.rtcMaxPort,
  listenIp: env.rtcListenIp,
  announcedAddress: env.announcedAddress,
  guestAudioOnly: env.guestAudioOnly,
  /** Whether guests may share their screen (where the room lets them). */
  guestsMayShare: env.guestsMayShare,
  roomGraceSeconds: env.roomGraceSeconds,
}));

/** What browsers get for ICE: configured servers, and TURN with credentials made per participant. */
export const iceConfig = slice('ice', (env) => ({
  iceServers: env.iceServers,
  /** Time-limited TURN credentials (coturn `use-auth-secret`); undefined: none issued. */
  turn:
    env.turnSecret === undefined
      ? undefined
      : { secret: env.turnSecret, urls: env.turnUrls, ttlSeconds: env.turnTtlSeconds },
}));

export const metricsConfig = slice('metrics', (env) => ({
  port: env.metricsPort,
  host: env.metricsHost,
}));

/** A node id for an application without CONVENE_NODE_ID: the host's name and a random part. */
const generateNodeId = () =>
  `${hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40)}-${randomBytes(4).toString('hex')}`;

/** The nodes sharing one Redis: who this node is, and how quickly a silent node counts as gone. */
export const clusterConfig = slice('cluster', (env) => ({
  redisUrl: env.redisUrl,
  redisKeyPrefix: env.redisKeyPrefix,
  nodeId: env.nodeId ?? generateNodeId(),
  nodeTtlSeconds: env.nodeTtlSeconds,
  requestTimeoutMs: env.nodeRequestTimeoutMs,
}));

export const rateLimitConfig = slice('rateLimit', (env) => ({
  maxConnectionsPerParticipant: env.maxConnectionsPerParticipant,
  maxConnectionsPerAddress: env.maxConnectionsPerAddress,
}));

export const wsConfig = slice('ws', (env) => ({
  maxPayloadBytes: env.wsMaxPayloadBytes,
  eventsPerSecond: env.wsEventsPerSecond,
  eventBurst: env.wsEventBurst,
}));

/** Where events are POSTed, how they are signed, and how long a failing endpoint is retried. */
export const webhooksConfig = slice('webhooks', (env) => ({
  urls: env.webhookUrls,
  /** Unset only when no URL is configured; then nothing is sent (and nothing enqueued). */
  secret: env.webhookSecret,
  maxAttempts: env.webhookMaxAttempts,
  backoffMs: env.webhookBackoffMs,
  timeoutMs: env.webhookTimeoutMs,
  pollMs: env.webhookPollMs,
  retentionDays: env.webhookRetentionDays,
}));
/** The process's life: how long a SIGTERM's drain may wait for connections to move. */
export const lifecycleConfig = slice('lifecycle', (env) => ({ drainSeconds: env.drainSeconds }));

/** How joins and leaves are announced: one event each, or in batches in large rooms. */
export const presenceConfig = slice('presence', (env) => ({
  batchAbove: env.presenceBatchAbove,
  batchMs: env.presenceBatchMs,
}));

export type AppConfig = ReturnType<typeof appConfig>;
export type PresenceConfig = ReturnType<typeof presenceConfig>;
export type MediaConfig = ReturnType<typeof mediaConfig>;
export type IceConfig = ReturnType<typeof iceConfig>;
export type ClusterConfig = ReturnType<typeof clusterConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;
export type WsConfig = ReturnType<typeof wsConfig>;
export type WebhooksConfig = ReturnType<typeof webhooksConfig>;
export type LifecycleConfig = ReturnType<typeof lifecycleConfig>;
