/**
 * Private messages, audit row committed before delivery: convene (real `node dist/src/main.js`
 * processes on a fresh database) against the bare relay (bench/relay.ts), driven by the same load
 * generator in the same run. Scenarios: 20 pairs in 1 room and in 5 rooms on one node (ratios to
 * the relay, measured just before), and two nodes sharing Redis with sender and recipient on
 * different nodes (ratio to both on one node of the same cluster). After each convene run the
 * rooms' chains are verified through the admin API; an invalid chain fails the benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ADMIN_KEY } from '../test/support/app.js';
import { ClusterNode, freePort, TestCluster } from '../test/support/cluster.js';
import { TestDatabase } from '../test/support/database.js';
import { connectSocket, type LoadOptions, type LoadResult, type Pair, runLoad } from './load.js';
import { type BenchModule, type BenchResult, compared } from './result.js';

const BENCH = 'private-chat';
const PAIRS = Number(process.env.BENCH_PAIRS ?? 20);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const load = { inFlight: IN_FLIGHT, seconds: SECONDS, warmupSeconds: WARMUP };
const dist = join(import.meta.dirname, '..');

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

type Measured = LoadResult & { cpuPerMessage: number };

/** A load run with the server processes' CPU time per acked message. */
async function measured(
  pids: (number | undefined)[],
  pairs: Pair[],
  options: LoadOptions,
): Promise<Measured> {
  const cpu = () => pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0);
  const before = cpu();
  const r = await runLoad(pairs, options);
  return { ...r, cpuPerMessage: (cpu() - before) / r.acked };
}

/** The relay in its own process; resolves with its URL and a stop function. */
async function startRelay(): Promise<{
  url: string;
  pid: number | undefined;
  stop: () => Promise<void>;
}> {
  const child: ChildProcess = spawn(process.execPath, [join(dist, 'bench', 'relay.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function relayPairs(url: string, count: number): Promise<Pair[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      sender: await connectSocket(url, { participantId: `s${i}` }),
      recipient: await connectSocket(url, { participantId: `r${i}` }),
      recipientId: `r${i}`,
    })),
  );
}

/** An admin API call with the bootstrap key; throws unless it answers 2xx. */
export async function admin<T>(url: string, path: string, body?: object): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'X-API-Key': TEST_ADMIN_KEY, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function joined(url: string, roomId: string, name: string) {
  const { token, participantId } = await admin<{ token: string; participantId: string }>(
    url,
    `/rooms/${roomId}/tokens`,
    { displayName: name },
  );
  const socket = await connectSocket(url, { token });
  const ack = (await socket.timeout(10_000).emitWithAck('room:join', {})) as { ok: boolean };
  if (!ack.ok) throw new Error(`${name} could not join: ${JSON.stringify(ack)}`);
  return { socket, participantId };
}

/** `PAIRS` pairs spread over `rooms` new rooms; senders on `senderUrl`, recipients on `recipientUrl`. */
async function convenePairs(
  senderUrl: string,
  recipientUrl: string,
  rooms: number,
  count = PAIRS,
): Promise<{ pairs: Pair[]; roomIds: string[] }> {
  const roomIds = await Promise.all(
    Array.from({ length: rooms }, async (_, i) => {
      const room = await admin<{ id: string }>(senderUrl, '/rooms', {
        name: `bench ${i}`,
        maxParticipants: 2 * PAIRS + 2,
      });
      return room.id;
    }),
  );
  const pairs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const roomId = roomIds[i % rooms];
      const recipient = await joined(recipientUrl, roomId, `R${i}`);
      const sender = await joined(senderUrl, roomId, `S${i}`);
      return {
        sender: sender.socket,
        recipient: recipient.socket,
        recipientId: recipient.participantId,
      };
    }),
  );
  return { pairs, roomIds };
}

function close(pairs: Pair[]): void {
  for (const p of pairs) {
    p.sender.close();
    p.recipient.close();
  }
}

/** Every room's chain through the admin API; throws if one is not valid. */
async function verifyChains(url: string, roomIds: string[]): Promise<number> {
  let count = 0;
  for (const roomId of roomIds) {
    const v = await admin<{ valid: boolean; count: number }>(
      url,
      `/rooms/${roomId}/messages/verify`,
    );
    if (!v.valid) throw new Error(`room ${roomId}: chain not valid: ${JSON.stringify(v)}`);
    count += v.count;
  }
  return count;
}

function describeLoad(r: Measured): string {
  return (
    `${r.throughput.toFixed(0)} msg/s, delivery p50 ${r.deliveryP50.toFixed(2)} ms p99 ${r.deliveryP99.toFixed(2)} ms, ` +
    `ack p50 ${r.ackP50.toFixed(2)} ms p99 ${r.ackP99.toFixed(2)} ms, ` +
    `server CPU ${r.cpuPerMessage.toFixed(3)} ms/msg` +
    (r.errors ? `, ${r.errors} refused (${r.firstError})` : '')
  );
}

/** The three figures of `scenario` as ratios to `base` (named `baseName`). */
function figures(
  scenario: string,
  r: Measured,
  baseName: string,
  base: Measured,
  notes?: string,
): BenchResult[] {
  if (r.errors > 0) throw new Error(`${scenario}: ${r.errors} sends refused (${r.firstError})`);
  return [
    compared(
      BENCH,
      `${scenario}: throughput`,
      'msg/s',
      r.throughput,
      {
        name: baseName,
        value: base.throughput,
      },
      notes,
    ),
    compared(BENCH, `${scenario}: delivery p50`, 'ms', r.deliveryP50, {
      name: baseName,
      value: base.deliveryP50,
    }),
    compared(BENCH, `${scenario}: delivery p99`, 'ms', r.deliveryP99, {
      name: baseName,
      value: base.deliveryP99,
    }),
    compared(BENCH, `${scenario}: ack p50`, 'ms', r.ackP50, { name: baseName, value: base.ackP50 }),
    compared(BENCH, `${scenario}: server CPU per message`, 'ms', r.cpuPerMessage, {
      name: baseName,
      value: base.cpuPerMessage,
    }),
  ];
}

async function relayRun(count = PAIRS, options: LoadOptions = load): Promise<Measured> {
  const relay = await startRelay();
  const pairs = await relayPairs(relay.url, count);
  try {
    const r = await measured([relay.pid], pairs, options);
    console.log(`  bare relay            : ${describeLoad(r)}`);
    return r;
  } finally {
    close(pairs);
    await relay.stop();
  }
}

const chatEnv = {
  CONVENE_CHAT_RATE_LIMIT_PER_10S: '100000',
  CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '100000',
};

/**
 * One convene node without Redis, on `db` (else a fresh database), with `env` added to its
 * environment; `drop()` stops it and drops the database.
 */
export async function oneNode(
  options: { db?: TestDatabase; env?: Record<string, string> } = {},
): Promise<{
  node: ClusterNode;
  db: TestDatabase;
  drop: () => Promise<void>;
}> {
  const db = options.db ?? (await TestDatabase.create());
  const dir = mkdtempSync(join(tmpdir(), 'convene-bench-'));
  const port = await freePort();
  const node = new ClusterNode(
    'bench-node',
    port,
    {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      CONVENE_JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789abcdef',
      CONVENE_ADMIN_API_KEY: TEST_ADMIN_KEY,
      CONVENE_DATA_DIR: join(dir, 'data'),
      CONVENE_METRICS_PORT: '0',
      CONVENE_METRICS_HOST: '127.0.0.1',
      CONVENE_RTC_LISTEN_IP: '127.0.0.1',
      CONVENE_RTC_MIN_PORT: process.env.CONVENE_RTC_MIN_PORT ?? '43900',
      CONVENE_RTC_MAX_PORT: process.env.CONVENE_RTC_MAX_PORT ?? '43999',
      CONVENE_MEDIA_WORKERS: '1',
      ...chatEnv,
      ...options.env,
    },
    join(dir, 'node.log'),
    // e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the convene process.
    process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  );
  await node.start();
  return {
    node,
    db,
    drop: async () => {
      await node.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows per group-commit transaction in `roomIds` (a batch's rows share one stored time). */
async function batchSize(db: TestDatabase, roomIds: string[]): Promise<number> {
  const [{ size }] = await db.query<{ size: number }>(
    `SELECT count(*)::float / greatest(count(DISTINCT (room_id, created_at)), 1) AS size
     FROM chat_messages WHERE room_id = ANY($1)`,
    [roomIds],
  );
  return size;
}

async function conveneRun(
  db: TestDatabase,
  nodes: ClusterNode[],
  label: string,
  senderUrl: string,
  recipientUrl: string,
  rooms: number,
  count = PAIRS,
  options: LoadOptions = load,
): Promise<Measured> {
  const { pairs, roomIds } = await convenePairs(senderUrl, recipientUrl, rooms, count);
  try {
    const r = await measured(
      nodes.map((n) => n.process?.pid),
      pairs,
      options,
    );
    const stored = await verifyChains(senderUrl, roomIds);
    const batch = await batchSize(db, roomIds);
    console.log(
      `  ${label.padEnd(22)}: ${describeLoad(r)}; ${stored} rows, chains valid, ${batch.toFixed(1)} rows per transaction`,
    );
    return r;
  } finally {
    close(pairs);
  }
}

async function run(): Promise<BenchResult[]> {
  console.log(
    `private messages: ${PAIRS} pairs, ${IN_FLIGHT} in flight per sender, ${WARMUP} s warm-up + ${SECONDS} s`,
  );
  const results: BenchResult[] = [];
  const single = await oneNode();
  try {
    for (const rooms of [1, 5]) {
      const relay = await relayRun();
      const label = `convene, ${rooms} room${rooms > 1 ? 's' : ''}`;
      const r = await conveneRun(
        single.db,
        [single.node],
        label,
        single.node.url,
        single.node.url,
        rooms,
      );
      results.push(...figures(label, r, 'bare relay', relay));
    }
    // One message at a time: the latency of the path itself, without queueing.
    const alone = { ...load, inFlight: 1 };
    const relay = await relayRun(1, alone);
    const r = await conveneRun(
      single.db,
      [single.node],
      'convene, 1 at a time',
      single.node.url,
      single.node.url,
      1,
      1,
      alone,
    );
    results.push(...figures('convene, one pair, 1 in flight', r, 'bare relay', relay));
  } finally {
    await single.drop();
  }

  if (process.env.BENCH_SKIP_CLUSTER) return results;
  const cluster = await TestCluster.start(2, { ...chatEnv, LOG_LEVEL: 'warn' });
  try {
    const [a, b] = [cluster.node(0).url, cluster.node(1).url];
    const same = await conveneRun(cluster.db, cluster.nodes, '2 nodes, same node', a, a, 5);
    const across = await conveneRun(cluster.db, cluster.nodes, '2 nodes, across', a, b, 5);
    results.push(
      ...figures(
        'convene, 5 rooms, sender and recipient on different nodes',
        across,
        'both on one node of the same cluster',
        same,
        'two nodes sharing Redis (Socket.IO Redis adapter)',
      ),
    );
  } finally {
    await cluster.close();
  }
  return results;
}

export const privateChatBench: BenchModule = {
  name: BENCH,
  describe:
    'Private messages, audit row committed before delivery: convene against a bare Socket.IO relay, same load generator, same run',
  run,
};
