import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

const distRoot = join(import.meta.dirname, '..', '..');

/**
 * The one TypeORM configuration, shared by the app, the migration runner and the TypeORM CLI.
 * Entities and migrations are loaded from the compiled output; schema changes happen only
 * through migrations.
 */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(distRoot, 'src', '**', '*.entity.js')],
    migrations: [join(distRoot, 'migrations', '*.js')],
    migrationsTableName: 'convene_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: 'convene',
    extra: { max: 20, connectionTimeoutMillis: 5_000 },
  };
}
