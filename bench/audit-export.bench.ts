/**
 * Audit export and verify of a real chain: BENCH_AUDIT_ROWS (default 1,000,000) rows in one room
 * of a fresh database, hashed with the project's own link hash (src/chat/audit/hash-chain.ts) and
 * loaded with COPY, then read through the admin API of a real convene process
 * (`node dist/src/main.js`, signing key set, so the head it signs at boot is checked too):
 * exports as NDJSON and CSV, streamed to a counting sink, and `verify` of the room's chain; rows/s
 * and the process's peak RSS growth. Baseline, same run: PostgreSQL's own COPY of the same rows
 * and columns to this process, the raw cost of reading them. The chain must verify, and the
 * exports must hold every row and end at the chain head, or the benchmark fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { CURRENT_HASH_VERSION, utcMicrosSql } from '../src/chat/audit/hash-chain.js';
import type { VerifyResultDto } from '../src/chat/dto/audit.dto.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { TEST_ADMIN_KEY } from '../test/support/app.js';
import { insertChain } from '../test/support/audit-chain.js';
import { TestDatabase } from '../test/support/database.js';
import { copyOut } from '../test/support/pg-copy.js';
import { createRoom } from './chat-audit.bench.js';
import { cpuMs } from './cpu.js';
import { admin, oneNode } from './servers.js';
import { type BenchModule, type BenchResult, compared } from './result.js';

const BENCH = 'audit-export';
const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const SIGNING_KEY = 'bench-audit-signing-key-0123456789abcdef';
const SAMPLE_MS = 50;
const label = ROWS >= 1e6 ? `${ROWS / 1e6}M` : `${ROWS / 1e3}k`;

interface Built {
  roomId: string;
  headHash: string;
  seconds: number;
}

/** A new room holding a valid `rows`-row chain (test/support/audit-chain.ts), vacuumed. */
async function buildChain(db: TestDatabase, rows: number): Promise<Built> {
  const ds = new DataSource(dataSourceOptions(db.url));
  await ds.initialize();
  try {
    await ds.runMigrations();
    const roomId = await createRoom(ds);
    const start = performance.now();
    // Its head unsigned: the node signs it at boot (trust on first use, AuditSigning), as it
    // does any chain written before the key was set.
    const headHash = await insertChain(db.url, roomId, rows);
    // Hint bits and statistics set now, so that no measured read pays for them.
    await ds.query('VACUUM (ANALYZE) chat_messages');
    return { roomId, headHash, seconds: (performance.now() - start) / 1000 };
  } finally {
    await ds.destroy();
  }
}

/** A /proc/<pid>/status field in MB (Linux). */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) / 1024;
}

interface Measured<T> {
  result: T;
  seconds: number;
  /** Peak RSS during the operation minus RSS just before, MB. */
  rssGrowth: number;
  rssBefore: number;
  /** CPU time the process used meanwhile, ms (less disturbed than `seconds` on a shared machine). */
  cpuMs: number;
}

/**
 * Runs `fn`, sampling the process's RSS every SAMPLE_MS; the peak also from VmHWM, reset before
 * (clear_refs), when the kernel allows it, so a spike between two samples is not missed.
 */
async function withRss<T>(pid: number, fn: () => Promise<T>): Promise<Measured<T>> {
  let hwm = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    hwm = false;
  }
  const rssBefore = statusMb(pid, 'VmRSS');
  let peak = rssBefore;
  const timer = setInterval(() => (peak = Math.max(peak, statusMb(pid, 'VmRSS'))), SAMPLE_MS);
  const start = performance.now();
  const cpuBefore = cpuMs(pid);
  try {
    const result = await fn();
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuMs(pid) - cpuBefore;
    if (hwm) peak = Math.max(peak, statusMb(pid, 'VmHWM'));
    return { result, seconds, rssGrowth: peak - rssBefore, rssBefore, cpuMs: cpu };
  } finally {
    clearInterval(timer);
  }
}

interface Sunk {
  /** Line feeds seen: NDJSON rows, CSV rows plus the header (texts hold no line break). */
  lines: number;
  bytes: number;
  lastLine: string;
}

/** The export through the admin API, streamed to a sink that counts lines and keeps the last. */
async function exportRoom(url: string, roomId: string, format: 'ndjson' | 'csv'): Promise<Sunk> {
  // node:http rather than fetch: a Node stream of Buffers, less work on this side per byte.
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(
      `${url}/api/v1/audit/messages/export?roomId=${roomId}&format=${format}`,
      { headers: { 'X-API-Key': TEST_ADMIN_KEY } },
      resolve,
    ).once('error', reject),
  );
  let lines = 0;
  let bytes = 0;
  let previous: Buffer = Buffer.alloc(0);
  let last: Buffer = Buffer.alloc(0);
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    previous = last;
    last = chunk;
  }
  const tail = Buffer.concat([previous, last]).toString('utf8').trimEnd().split('\n');
  if (res.statusCode !== 200)
    throw new Error(`export ${format}: ${res.statusCode} ${tail.join('\n')}`);
  // A body cut short (the server gave up) ends without its last line feed.
  if (!res.complete || last[last.length - 1] !== 10)
    throw new Error(`export ${format} ended early after ${bytes} bytes`);
  return { lines, bytes, lastLine: tail[tail.length - 1].trimEnd() };
}

/** PostgreSQL's COPY of the rows and columns an export reads, to this process; rows counted. */
async function copyRoom(
  db: TestDatabase,
  roomId: string,
): Promise<{ rows: number; bytes: number }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let rows = 0;
  let bytes = 0;
  try {
    // COPY takes no parameters; roomId is a UUID this benchmark created.
    await copyOut(
      client,
      `COPY (SELECT id, room_id, seq, kind, sender_id, sender_name, recipient_id, recipient_name,
               text, client_message_id, ${utcMicrosSql('created_at')}, prev_hash, hash, hash_version
             FROM chat_messages WHERE room_id = '${roomId}' ORDER BY seq)
       TO STDOUT WITH (FORMAT csv)`,
      (chunk) => {
        rows++;
        bytes += chunk.length;
      },
    );
  } finally {
    await client.end();
  }
  return { rows, bytes };
}

const rate = (rows: number, seconds: number) => rows / seconds;
const usPerRow = (m: Measured<unknown>, rows: number) => (m.cpuMs * 1000) / rows;

/** The convene process's CPU time per row of a step, and its peak RSS growth. */
function costs(name: string, m: Measured<unknown>): BenchResult[] {
  return [
    { bench: BENCH, name: `${name}: convene CPU per row`, unit: 'us', value: usPerRow(m, ROWS) },
    {
      bench: BENCH,
      name: `${name}: convene peak RSS growth`,
      unit: 'MB',
      value: m.rssGrowth,
      notes: `RSS ${m.rssBefore.toFixed(0)} MB before`,
    },
  ];
}
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

function report(what: string, rows: number, m: Measured<unknown>, extra = ''): void {
  console.log(
    `  ${what.padEnd(30)}: ${rate(rows, m.seconds).toFixed(0).padStart(7)} rows/s (${m.seconds.toFixed(2)} s), ` +
      `convene CPU ${usPerRow(m, rows).toFixed(2)} us/row, RSS ${m.rssBefore.toFixed(0)} MB, peak +${m.rssGrowth.toFixed(1)} MB${extra}`,
  );
}

async function run(): Promise<BenchResult[]> {
  const db = await TestDatabase.create();
  let drop = () => db.drop();
  try {
    const built = await buildChain(db, ROWS);
    console.log(
      `audit chain: ${ROWS} rows in one room, built with linkHash and loaded with COPY in ${built.seconds.toFixed(1)} s`,
    );
    const single = await oneNode({ CONVENE_AUDIT_SIGNING_KEY: SIGNING_KEY }, db);
    drop = single.drop;
    const { node } = single;
    const pid = node.process?.pid;
    if (pid === undefined) throw new Error('convene process has no pid');

    // Once unmeasured, so every measured read finds the rows in the same caches.
    await copyRoom(db, built.roomId);
    const start = performance.now();
    const copied = await copyRoom(db, built.roomId);
    const copySeconds = (performance.now() - start) / 1000;
    if (copied.rows !== ROWS) throw new Error(`COPY read ${copied.rows} rows`);
    const copyRate = rate(ROWS, copySeconds);
    console.log(
      `  ${'baseline: PostgreSQL COPY (CSV)'.padEnd(30)}: ${copyRate.toFixed(0).padStart(7)} rows/s (${copySeconds.toFixed(2)} s), ${mb(copied.bytes)} MB`,
    );
    const baseline = {
      name: 'PostgreSQL COPY of the same rows (CSV) to the bench process',
      value: copyRate,
    };

    const results: BenchResult[] = [];
    for (const format of ['ndjson', 'csv'] as const) {
      const m = await withRss(pid, () =>
        exportRoom(node.url, built.roomId, format).catch((error: unknown) => {
          throw new Error(`${format} export failed; convene's log:\n${node.log(20)}`, {
            cause: error,
          });
        }),
      );
      const { lines, bytes, lastLine } = m.result;
      const expected = format === 'csv' ? ROWS + 1 : ROWS;
      const endsAtHead =
        format === 'csv'
          ? lastLine.endsWith(`,${built.headHash},${CURRENT_HASH_VERSION}`)
          : (JSON.parse(lastLine) as { hash: string; seq: number }).hash === built.headHash;
      if (lines !== expected || !endsAtHead)
        throw new Error(
          `${format} export: ${lines} lines (expected ${expected}), last: ${lastLine}`,
        );
      const name = format === 'csv' ? 'CSV' : 'NDJSON';
      report(`${name} export`, ROWS, m, `, ${mb(bytes)} MB`);
      results.push(
        compared(
          BENCH,
          `${name} export of ${label} rows: throughput`,
          'rows/s',
          rate(ROWS, m.seconds),
          baseline,
          'admin API, streamed to a counting sink',
        ),
        ...costs(`${name} export of ${label} rows`, m),
      );
    }

    const v = await withRss(pid, () =>
      admin<VerifyResultDto>(node.url, `/rooms/${built.roomId}/messages/verify`),
    );
    const verified = v.result;
    if (
      !verified.valid ||
      verified.count !== ROWS ||
      verified.headSeq !== ROWS ||
      verified.headHash !== built.headHash ||
      verified.signature !== 'valid'
    )
      throw new Error(`the ${label}-row chain does not verify: ${JSON.stringify(verified)}`);
    report('verify', ROWS, v, ', chain valid, head signature valid');
    results.push(
      compared(
        BENCH,
        `verify of a ${label}-row chain: throughput`,
        'rows/s',
        rate(ROWS, v.seconds),
        baseline,
        'admin API; SHA-256 of every row, head signature',
      ),
      ...costs(`verify of a ${label}-row chain`, v),
    );
    return results;
  } finally {
    await drop();
  }
}

export const auditExportBench: BenchModule = {
  name: BENCH,
  describe: `Audit export (NDJSON, CSV) and verify of a real ${label}-row chain through a convene process's admin API, against PostgreSQL's COPY of the same rows`,
  run,
};
