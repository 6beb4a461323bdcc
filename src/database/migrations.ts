import { DataSource, type Migration } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

/**
 * Applies pending migrations on a connection of their own, without the app's query timeout:
 * a migration may rewrite a large table. Retries a few times while the server is starting.
 */
export async function runPendingMigrations(url: string, attempts = 3): Promise<Migration[]> {
  for (let attempt = 1; ; attempt++) {
    const dataSource = new DataSource(dataSourceOptions(url));
    try {
      await dataSource.initialize();
      return await dataSource.runMigrations({ transaction: 'each' });
    } catch (error) {
      if (attempt >= attempts || dataSource.isInitialized) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  }
}
