import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { compileTrust } from './common/client-address.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { ConferenceIoAdapter, conferenceMessagePipes } from './common/ws.js';
import { clusterSocketAdapter } from './cluster/socket-adapter.js';
import {
  type AppConfig,
  appConfig,
  type ClusterConfig,
  clusterConfig,
  type WsConfig,
  wsConfig,
} from './config/configuration.js';
import { RedisConnection } from './redis/redis-connection.js';
import { assignRequestId } from './logging/request-id.js';
import { buildOpenApiDocument } from './openapi.js';

/** Creates the fully configured application (not yet listening); used by main and tests. */
export async function createApp(): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bufferLogs: true,
    bodyParser: false,
    // Throw instead of aborting the process, so that a failed boot can still stop what it started.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const adapter = await clusterSocketAdapter(
    app.get(RedisConnection),
    app.get<ClusterConfig>(clusterConfig.KEY),
  );
  configureApp(app, adapter);
  return app;
}

/** Global pipes, filters, prefix and docs; shared with the OpenAPI generator. */
export function configureApp(app: NestExpressApplication, clusterAdapter?: unknown): void {
  // req.ip (the admin rate limit's key) honours X-Forwarded-For only from trusted proxies.
  app.set('trust proxy', compileTrust(app.get<AppConfig>(appConfig.KEY).trustProxy));
  // The request id comes first so that even a body the parser rejects is answered with one.
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    assignRequestId(req, res);
    next();
  });
  // helmet's defaults on every response (admin API, /docs); the web client's page replaces the
  // CSP with its own stricter one (src/web/web.controller.ts). Without upgrade-insecure-requests:
  // pages here load only same-origin URLs, and over plain HTTP (an internal hostname) it would
  // send the browser to https:// for Swagger UI's scripts, leaving /docs blank.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.useBodyParser('json', { limit: '256kb' });
  // Global pipes run on HTTP input and on socket messages alike (the gateways add none, so each
  // message is validated once): the cheap shape check (size, depth, string lengths) comes first
  // so that class-transformer never sees hostile input.
  app.useGlobalPipes(...conferenceMessagePipes());
  app.useWebSocketAdapter(
    new ConferenceIoAdapter(app, app.get<WsConfig>(wsConfig.KEY), clusterAdapter),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  // No enableShutdownHooks(): main.ts handles SIGTERM itself (drain first, then app.close()).
  app.disable('x-powered-by');
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
