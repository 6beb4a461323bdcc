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

export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = parseEnv(process.env);
  return {
    redisUrl: env.redisUrl,
    redisKeyPrefix: env.redisKeyPrefix,
    maxConnectionsPerParticipant: env.maxConnectionsPerParticipant,
    maxConnectionsPerAddress: env.maxConnectionsPerAddress,
  };
});

export const wsConfig = registerAs('ws', () => {
  const env = parseEnv(process.env);
  return { maxPayloadBytes: env.wsMaxPayloadBytes };
});

export type AppConfig = ReturnType<typeof appConfig>;
export type MediaConfig = ReturnType<typeof mediaConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;
export type WsConfig = ReturnType<typeof wsConfig>;
