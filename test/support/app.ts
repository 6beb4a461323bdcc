import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MetricsServer } from '../../src/metrics/metrics-server.js';
import { type JoinClaims, JoinTokensService } from '../../src/auth/join-tokens.service.js';
import { TestDatabase } from './database.js';

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<ephemeral port> */
  url: string;
  /** http://127.0.0.1:<ephemeral port>/metrics: the scrape endpoint, on its own port */
  metricsUrl: string;
  db: TestDatabase;
  close(): Promise<void>;
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface StartOptions {
  /** The URL the app connects with, given the fresh database's (e.g. through a TCP relay). */
  databaseUrl?: (url: string) => string | Promise<string>;
}

/**
 * For tests that drive traffic on purpose (bursts, races, load during verify): the limits that
 * would otherwise refuse it, the chat rate per participant and the socket event budget per
 * connection. The limits have tests of their own (rate-limit, event-budget).
 */
export const TRAFFIC_ENV = {
  CONVENE_CHAT_RATE_LIMIT_PER_10S: '10000',
  CONVENE_WS_EVENTS_PER_SECOND: '1000000',
  CONVENE_WS_EVENT_BURST: '1000000',
};

/**
 * Boots the real application on an ephemeral port against a fresh database with migrations
 * applied. Extra environment variables override the defaults for this app only.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestApp> {
  const db = await TestDatabase.create();
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: options.databaseUrl ? await options.databaseUrl(db.url) : db.url,
    CONVENE_MIGRATIONS_RUN: 'true',
    CONVENE_ADMIN_API_KEY: TEST_ADMIN_KEY,
    // Several apps run in one process: each gets its own metrics port.
    CONVENE_METRICS_PORT: '0',
    CONVENE_METRICS_HOST: '127.0.0.1',
    ...env,
  });
  const { createApp } = await import('../../src/bootstrap.js');
  let app: NestExpressApplication;
  try {
    app = await createApp();
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await db.drop();
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${app.get(MetricsServer).port}/metrics`,
    db,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/**
 * A join token signed by the app's own signer (the secret it uses, generated or configured),
 * for what the admin API does not issue: expired tokens, tokens that expire in seconds.
 */
export function signJoinToken(
  t: TestApp,
  claims: Omit<JoinClaims, 'source' | 'issuedAt'>,
): Promise<string> {
  return t.app.get(JoinTokensService).sign(claims);
}
