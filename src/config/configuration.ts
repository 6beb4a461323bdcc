import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.js';
import { jwtSecretOf } from './jwt-secret.js';

/** Typed slices of the validated environment, one per feature (inject with `@Inject(x.KEY)`). */
export const appConfig = registerAs('app', () => {
  const env = parseEnv(process.env);
  return {
    nodeEnv: env.nodeEnv,
    port: env.port,
    host: env.host,
    logLevel: env.logLevel,
    trustProxy: env.trustProxy,
    allowedOrigins: env.allowedOrigins,
  };
});

export const databaseConfig = registerAs('database', () => {
  const env = parseEnv(process.env);
  return {
    url: env.databaseUrl,
    embeddedDir: env.embeddedPgDir,
    embeddedPort: env.embeddedPgPort,
    migrationsRun: env.migrationsRun,
    queryTimeoutMs: env.dbQueryTimeoutMs,
  };
});

export const authConfig = registerAs('auth', () => {
  const env = parseEnv(process.env);
  const secret = jwtSecretOf(env);
  return {
    jwtSecret: secret.secret,
    /** The file holding the generated secret; undefined when CONVENE_JWT_SECRET is set. */
    jwtSecretFile: secret.file,
    tokenTtlSeconds: env.tokenTtlSeconds,
    adminApiKey: env.adminApiKey,
    jwksUrl: env.jwksUrl,
    jwtIssuer: env.jwtIssuer,
    jwtAudience: env.jwtAudience,
    adminRateLimitPerMinute: env.adminRateLimitPerMinute,
  };
});

export const chatConfig = registerAs('chat', () => {
  const env = parseEnv(process.env);
  return {
    retentionDays: env.chatRetentionDays,
    rateLimitPer10s: env.chatRateLimitPer10s,
    auditSigningKey: env.auditSigningKey,
  };
});

export const mediaConfig = registerAs('media', () => {
  const env = parseEnv(process.env);
  return {
    workers: env.mediaWorkers,
    /** Transports one room's router takes before the room spreads to another worker. */
    routerMaxTransports: env.routerMaxTransports,
    rtcMinPort: env.rtcMinPort,
    rtcMaxPort: env.rtcMaxPort,
    listenIp: env.rtcListenIp,
    announcedAddress: env.announcedAddress,
    guestAudioOnly: env.guestAudioOnly,
    roomGraceSeconds: env.roomGraceSeconds,
  };
});

export const metricsConfig = registerAs('metrics', () => {
  const env = parseEnv(process.env);
  return { port: env.metricsPort, host: env.metricsHost };
});

/** A node id for an application without CONVENE_NODE_ID: the host's name and a random part. */
const generateNodeId = () =>
  `${hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40)}-${randomBytes(4).toString('hex')}`;

/** The nodes sharing one Redis: who this node is, and how quickly a silent node counts as gone. */
export const clusterConfig = registerAs('cluster', () => {
  const env = parseEnv(process.env);
  return {
    redisUrl: env.redisUrl,
    redisKeyPrefix: env.redisKeyPrefix,
    nodeId: env.nodeId ?? generateNodeId(),
    nodeTtlSeconds: env.nodeTtlSeconds,
    requestTimeoutMs: env.nodeRequestTimeoutMs,
  };
});

export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = parseEnv(process.env);
  return {
    maxConnectionsPerParticipant: env.maxConnectionsPerParticipant,
    maxConnectionsPerAddress: env.maxConnectionsPerAddress,
  };
});

export const wsConfig = registerAs('ws', () => {
  const env = parseEnv(process.env);
  return { maxPayloadBytes: env.wsMaxPayloadBytes };
});

export type AppConfig = ReturnType<typeof appConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type AuthConfig = ReturnType<typeof authConfig>;
export type ChatConfig = ReturnType<typeof chatConfig>;
export type MediaConfig = ReturnType<typeof mediaConfig>;
export type ClusterConfig = ReturnType<typeof clusterConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;
export type WsConfig = ReturnType<typeof wsConfig>;
