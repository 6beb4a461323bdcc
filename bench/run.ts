/**
 * `npm run bench`: runs every benchmark in bench/ (or those named in BENCH_ONLY, comma-separated),
 * prints a table, writes bench/results.json and regenerates docs/BENCHMARKS.md from the results.
 * Against DATABASE_URL, or an embedded PostgreSQL when it is unset.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { format, resolveConfig } from 'prettier';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { auditExportBench } from './audit-export.bench.js';
import { chatAuditBench } from './chat-audit.bench.js';
import { fanoutBench } from './fanout.bench.js';
import { joinsBench } from './joins.bench.js';
import { mediaConsumersBench } from './media-consumers.bench.js';
import { machine, renderMarkdown, renderTable, type BenchRun } from './report.js';
import { privateChatBench } from './private-chat.bench.js';
import type { BenchModule } from './result.js';

const ALL: BenchModule[] = [
  chatAuditBench,
  privateChatBench,
  joinsBench,
  fanoutBench,
  mediaConsumersBench,
  auditExportBench,
];
// Compiled to dist/bench: the repository is two levels up.
const root = join(import.meta.dirname, '..', '..');

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
    return rows[0].v;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const selected = only ? ALL.filter((b) => only.includes(b.name)) : ALL;
  let embedded: EmbeddedPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    embedded = new EmbeddedPostgres({ dataDir: '.convene/bench-pgdata', port: 54349 });
    process.env.DATABASE_URL = await embedded.start();
  }
  const started = new Date();
  const run: BenchRun = {
    date: started.toISOString(),
    machine: { ...machine(), postgres: await postgresVersion(process.env.DATABASE_URL) },
    settings: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')) as [string, string][],
    ),
    benches: [],
    results: [],
  };
  try {
    for (const bench of selected) {
      console.log(`\n== ${bench.name}: ${bench.describe}`);
      run.benches.push({ name: bench.name, describe: bench.describe });
      run.results.push(...(await bench.run()));
    }
  } finally {
    await embedded?.stop();
  }
  console.log(`\n${renderTable(run.results)}`);
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  // Formatted as `npm run lint` expects, so a regenerated file passes it unchanged.
  if (!only) {
    const doc = join(root, 'docs', 'BENCHMARKS.md');
    const options = { ...(await resolveConfig(doc)), parser: 'markdown' };
    writeFileSync(doc, await format(renderMarkdown(run), options));
  }
  console.log(
    `\nwrote bench/results.json${only ? ' (docs/BENCHMARKS.md only from a full run)' : ' and docs/BENCHMARKS.md'}`,
  );
}

await main();
