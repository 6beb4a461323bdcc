import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { EmbeddedPostgres } from '../database/embedded-postgres.js';
import { Drain } from './drain.js';

/** How long closing (transports, workers, Redis, the database) may take after the drain. */
const CLOSE_TIMEOUT_MS = 15_000;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * SIGTERM or SIGINT: drain (readiness off, joins refused, connections told to move and then
 * closed, up to CONVENE_DRAIN_SECONDS), then close the application (Nest's shutdown hooks:
 * transports, media workers, Redis, the database pool, the embedded PostgreSQL) and exit 0. A
 * second signal stops the waiting and closes at once; a close that hangs exits 1 after
 * CLOSE_TIMEOUT_MS. This replaces Nest's enableShutdownHooks, whose onModuleDestroy hooks would
 * run before anything could drain, and which ends the process by re-raising the signal.
 */
export function closeOnSignals(app: INestApplication): void {
  const logger = new Logger('Shutdown');
  const drain = app.get(Drain);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: closing without waiting for the drain');
      drain.cutShort();
      return;
    }
    stopping = true;
    logger.log({ signal }, 'shutting down');
    void (async () => {
      await drain.run();
      const hung = setTimeout(() => {
        logger.error({ timeoutMs: CLOSE_TIMEOUT_MS }, 'closing took too long; exiting');
        process.exit(1);
      }, CLOSE_TIMEOUT_MS);
      hung.unref();
      await app.close();
      await EmbeddedPostgres.stopAll();
      clearTimeout(hung);
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
