/**
 * Chat audit benchmarks (`npm run bench`), against DATABASE_URL or an embedded PostgreSQL:
 *  1. group commit: messages/s when a room's sends arrive concurrently (batched into shared
 *     transactions) versus one at a time (one transaction each), and the ratio;
 *  2. export memory: peak heap while streaming 20k and then 200k rows as CSV; a ratio near 1
 *     means memory does not grow with the export's size.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { AuditLog } from '../src/chat/audit/audit-log.js';
import { AuditQueries } from '../src/chat/audit/audit-queries.js';
import { AuditSigning } from '../src/chat/audit/audit-signing.js';
import { exportFormatter } from '../src/chat/audit/export-format.js';
import { PostgresAuditStore } from '../src/chat/audit/postgres-audit.store.js';
import type { NewMessage } from '../src/chat/audit/hash-chain.js';
import { chatConfig } from '../src/config/configuration.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { Metrics } from '../src/metrics/metrics.service.js';
import { TestDatabase } from '../test/support/database.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);

async function createRoom(ds: DataSource): Promise<string> {
  const [{ id }] = await ds.query<{ id: string }[]>(
    `INSERT INTO rooms (name) VALUES ('bench') RETURNING id`,
  );
  return id;
}

function message(roomId: string, senderId: string, i: number): NewMessage {
  return {
    roomId,
    kind: 'public',
    senderId,
    senderName: 'Bench',
    recipientId: null,
    recipientName: null,
    text: `message ${i} ${'x'.repeat(80)}`,
    clientMessageId: randomUUID(),
  };
}

async function appendThroughput(ds: DataSource): Promise<void> {
  const store = new PostgresAuditStore(ds);
  const signing = new AuditSigning(chatConfig(), store);
  const audit = new AuditLog(store, new Metrics(), signing);
  const sender = randomUUID();

  const sequentialRoom = await createRoom(ds);
  let start = performance.now();
  for (let i = 0; i < MESSAGES; i++) await audit.append(message(sequentialRoom, sender, i));
  const sequential = MESSAGES / ((performance.now() - start) / 1000);

  const concurrentRoom = await createRoom(ds);
  start = performance.now();
  await Promise.all(
    Array.from({ length: MESSAGES }, (_, i) => audit.append(message(concurrentRoom, sender, i))),
  );
  const concurrent = MESSAGES / ((performance.now() - start) / 1000);

  const queries = new AuditQueries(store, signing);
  const verified = await queries.verify(concurrentRoom);
  console.log(`audit append, ${MESSAGES} messages in one room`);
  console.log(`  one transaction per message : ${sequential.toFixed(0)} msg/s`);
  console.log(`  group commit (concurrent)   : ${concurrent.toFixed(0)} msg/s`);
  console.log(`  ratio group/sequential      : ${(concurrent / sequential).toFixed(2)}x`);
  console.log(`  chain after concurrent run  : valid=${verified.valid} count=${verified.count}`);
}

async function exportPeakHeap(ds: DataSource, rows: number): Promise<number> {
  const roomId = await createRoom(ds);
  await ds.query(
    `INSERT INTO chat_messages (id, room_id, seq, kind, sender_id, sender_name, text, client_message_id, created_at, prev_hash, hash)
     SELECT gen_random_uuid(), $1, g, 'public', gen_random_uuid(), 'Bench', repeat('y', 200), gen_random_uuid(), now(), repeat('0', 64), repeat('0', 64)
     FROM generate_series(1, $2) g`,
    [roomId, rows],
  );
  const store = new PostgresAuditStore(ds);
  const queries = new AuditQueries(store, new AuditSigning(chatConfig(), store));
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let bytes = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const { rows: stream, release } = await queries.exportRows({ roomId, format: 'csv' });
  await pipeline(
    stream,
    exportFormatter('csv'),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done();
      },
    }),
  );
  await release();
  clearInterval(sampler);
  console.log(
    `  ${rows} rows: ${(bytes / 1e6).toFixed(1)} MB of CSV, peak heap +${((peak - base) / 1e6).toFixed(1)} MB`,
  );
  return peak - base;
}

async function main(): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    embedded = new EmbeddedPostgres({ dataDir: '.convene/bench-pgdata', port: 54349 });
    process.env.DATABASE_URL = await embedded.start();
  }
  const db = await TestDatabase.create();
  const ds = new DataSource(dataSourceOptions(db.url));
  try {
    await ds.initialize();
    await ds.runMigrations();
    await appendThroughput(ds);
    console.log('audit export (CSV, streamed from a cursor)');
    const small = await exportPeakHeap(ds, 20_000);
    const large = await exportPeakHeap(ds, 200_000);
    console.log(
      `  peak heap ratio 200k/20k rows: ${(large / Math.max(small, 1)).toFixed(2)}x for 10x the rows`,
    );
  } finally {
    await ds.destroy();
    await db.drop();
    await embedded?.stop();
  }
}

await main();
