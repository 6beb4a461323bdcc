/**
 * Chat audit benchmarks (`npm run bench`, bench/run.ts), against DATABASE_URL:
 *  1. group commit: messages/s when a room's sends arrive concurrently (batched into shared
 *     transactions) versus one at a time (one transaction each), and the ratio;
 *  2. the webhook outbox: the same two rates while each new row also enqueues
 *     chat.message_audited for two URLs in its transaction, as a ratio to the rates without;
 *  3. export memory: peak heap while streaming 20k and then 200k rows as CSV; a ratio near 1
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
import { Metrics } from '../src/metrics/metrics.service.js';
import { RoomEvents } from '../src/rooms/room-events.js';
import { WebhookAuditOutbox } from '../src/webhooks/webhook-audit-outbox.js';
import { WebhookDeliveries } from '../src/webhooks/webhook-deliveries.repository.js';
import type { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { WebhooksService } from '../src/webhooks/webhooks.service.js';
import { TestDatabase } from '../test/support/database.js';
import { type BenchModule, type BenchResult, compared } from './result.js';

const BENCH = 'chat-audit';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);

/** A room row, straight in the database (the audit tables' foreign keys need one). */
export async function createRoom(ds: DataSource): Promise<string> {
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

interface Rates {
  sequential: number;
  concurrent: number;
  concurrentRoom: string;
}

/** Messages/s through `store`: one at a time, then all at once (group commit), each in a new room. */
async function appendRates(ds: DataSource, store: PostgresAuditStore): Promise<Rates> {
  const audit = new AuditLog(store, new Metrics(), new AuditSigning(chatConfig(), store), {
    queryTimeoutMs: 10_000,
  });
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
  return { sequential, concurrent, concurrentRoom };
}

async function appendThroughput(ds: DataSource): Promise<BenchResult[]> {
  const store = new PostgresAuditStore(ds);
  const { sequential, concurrent, concurrentRoom } = await appendRates(ds, store);
  const queries = new AuditQueries(store, new AuditSigning(chatConfig(), store));
  const verified = await queries.verify(concurrentRoom);
  console.log(`audit append, ${MESSAGES} messages in one room`);
  console.log(`  one transaction per message : ${sequential.toFixed(0)} msg/s`);
  console.log(`  group commit (concurrent)   : ${concurrent.toFixed(0)} msg/s`);
  console.log(`  ratio group/sequential      : ${(concurrent / sequential).toFixed(2)}x`);
  console.log(`  chain after concurrent run  : valid=${verified.valid} count=${verified.count}`);

  // The real outbox, with a sender that is never woken (nothing is sent during the bench).
  const webhooks = new WebhooksService(
    new WebhookDeliveries(ds),
    { wake: () => undefined } as unknown as WebhookSender,
    new RoomEvents(),
    {
      urls: ['https://a.example.com/hook', 'https://b.example.com/hook'],
      secret: 'bench-webhook-secret-0123456789abcdef',
      maxAttempts: 15,
      backoffMs: 1000,
      timeoutMs: 10_000,
      pollMs: 1000,
      retentionDays: 30,
    },
  );
  const withOutbox = await appendRates(
    ds,
    new PostgresAuditStore(ds, new WebhookAuditOutbox(webhooks)),
  );
  const [{ n }] = await ds.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM webhook_deliveries`,
  );
  console.log(`audit append with the webhook outbox (2 URLs, ${n} deliveries enqueued)`);
  console.log(
    `  one transaction per message : ${withOutbox.sequential.toFixed(0)} msg/s (${(withOutbox.sequential / sequential).toFixed(2)}x of without)`,
  );
  console.log(
    `  group commit (concurrent)   : ${withOutbox.concurrent.toFixed(0)} msg/s (${(withOutbox.concurrent / concurrent).toFixed(2)}x of without)`,
  );
  if (!verified.valid) throw new Error('the chain after the concurrent run is not valid');
  const sequentialName = 'one transaction per message';
  return [
    {
      bench: BENCH,
      name: `audit append, ${sequentialName}`,
      unit: 'msg/s',
      value: sequential,
      notes: `${MESSAGES} messages, one room, AuditLog in-process`,
    },
    compared(BENCH, 'audit append, group commit (concurrent)', 'msg/s', concurrent, {
      name: sequentialName,
      value: sequential,
    }),
    compared(
      BENCH,
      'audit append with webhook outbox, one transaction per message',
      'msg/s',
      withOutbox.sequential,
      { name: 'without outbox', value: sequential },
      '2 webhook URLs',
    ),
    compared(
      BENCH,
      'audit append with webhook outbox, group commit',
      'msg/s',
      withOutbox.concurrent,
      { name: 'without outbox', value: concurrent },
      '2 webhook URLs',
    ),
  ];
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

async function run(): Promise<BenchResult[]> {
  const db = await TestDatabase.create();
  const ds = new DataSource(dataSourceOptions(db.url));
  try {
    await ds.initialize();
    await ds.runMigrations();
    const results = await appendThroughput(ds);
    console.log('audit export (CSV, streamed from a cursor)');
    const small = await exportPeakHeap(ds, 20_000);
    const large = await exportPeakHeap(ds, 200_000);
    console.log(
      `  peak heap ratio 200k/20k rows: ${(large / Math.max(small, 1)).toFixed(2)}x for 10x the rows`,
    );
    results.push(
      {
        bench: BENCH,
        name: 'CSV export of 20k rows: peak heap growth',
        unit: 'MB',
        value: small / 1e6,
      },
      compared(
        BENCH,
        'CSV export of 200k rows: peak heap growth',
        'MB',
        large / 1e6,
        { name: '20k rows', value: small / 1e6 },
        'near 1x: memory does not grow with the export',
      ),
    );
    return results;
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

export const chatAuditBench: BenchModule = {
  name: BENCH,
  describe:
    'The audit log in-process: group commit against one transaction per message, the webhook outbox, export memory',
  run,
};
