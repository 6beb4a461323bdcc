import { DataSource } from 'typeorm';
import { parseEnv } from '../config/env.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/**
 * `node dist/src/database/migrate.js up|down|status`: applies or reverts migrations against
 * DATABASE_URL, or against the embedded server (started and stopped here) when it is unset.
 */
async function main(command: string | undefined): Promise<void> {
  const env = parseEnv(process.env);
  const embedded = env.databaseUrl
    ? undefined
    : new EmbeddedPostgres({ dataDir: env.embeddedPgDir, port: env.embeddedPgPort });
  const url = env.databaseUrl ?? (await embedded!.start());
  const dataSource = new DataSource(dataSourceOptions(url));
  try {
    await dataSource.initialize();
    if (command === 'up') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(
        applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'up to date',
      );
    } else if (command === 'down') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else if (command === 'status') {
      const pending = await dataSource.showMigrations();
      console.log(pending ? 'migrations pending' : 'up to date');
    } else {
      throw new Error('usage: migrate.js up|down|status');
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
