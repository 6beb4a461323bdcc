import { DataSource } from 'typeorm';
import { parseEnv } from '../config/env.js';
import { dataSourceOptions } from './data-source-options.js';

/**
 * Entry point for the TypeORM CLI (`npm run typeorm -- <command>`). It needs a running server:
 * set DATABASE_URL, or use `npm run migration:run|revert`, which also handle the embedded one.
 */
const env = parseEnv(process.env);
if (!env.databaseUrl) {
  throw new Error('The TypeORM CLI needs DATABASE_URL (npm run migration:run works without it)');
}
export default new DataSource(dataSourceOptions(env.databaseUrl));
