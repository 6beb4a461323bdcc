#!/usr/bin/env node
// Writes migrations/<timestamp>-<Name>.ts for the difference between the entities and the schema
// of the database at DATABASE_URL (migrate it first). Usage: npm run migration:generate -- AddThing
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const name = process.argv[2];
if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
  console.error(
    'usage: npm run migration:generate -- <Name>   (letters and digits, e.g. AddWebhooks)',
  );
  process.exit(2);
}
if (!process.env.DATABASE_URL) {
  console.error('migration:generate compares against a database: set DATABASE_URL');
  process.exit(2);
}
const typeorm = join(root, 'node_modules', '.bin', 'typeorm');
const { status } = spawnSync(
  typeorm,
  ['-d', 'dist/src/database/data-source.js', 'migration:generate', join('migrations', name)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(status ?? 1);
