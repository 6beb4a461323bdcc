import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { deadlineClient } from './deadline-client.js';

const distRoot = join(import.meta.dirname, '..', '..');

/** How long the app waits for PostgreSQL; absent for migrations and tools (no limit). */
export interface QueryTimeouts {
  /**
   * PostgreSQL cancels a statement running longer (`statement_timeout`); a connection that
   * does not answer within this plus a second (a stalled link or server) is closed.
   */
  queryTimeoutMs: number;
}

/** Grace for the server's own cancellation to arrive before the client gives up on the link. */
const CANCEL_GRACE_MS = 1_000;

/**
 * The one TypeORM configuration, shared by the app, the migration runner and the TypeORM CLI.
 * Entities and migrations are loaded from the compiled output; schema changes happen only
 * through migrations.
 */
export function dataSourceOptions(url: string, timeouts?: QueryTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(distRoot, 'src', '**', '*.entity.js')],
    migrations: [join(distRoot, 'migrations', '*.js')],
    migrationsTableName: 'convene_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: 'convene',
    extra: {
      max: 20,
      connectionTimeoutMillis: 5_000,
      ...(timeouts && {
        statement_timeout: timeouts.queryTimeoutMs,
        Client: deadlineClient(timeouts.queryTimeoutMs + CANCEL_GRACE_MS),
      }),
    },
  };
}
