/**
 * Private messages, audit row committed before delivery: convene (real `node dist/src/main.js`
 * processes on a fresh database) against the bare relay (bench/relay.ts), driven by the same load
 * generator in the same run. Scenarios: 20 pairs in 1 room and in 5 rooms on one node (ratios to
 * the relay, measured just before), one message at a time, fixed offered rates (BENCH_RATES,
 * open loop: latency at the same load rather than at each one's saturation), and two nodes sharing Redis with sender and recipient on
 * different nodes (ratio to both on one node of the same cluster). After each convene run the
 * rooms' chains are verified through the admin API; an invalid chain fails the benchmark.
 */
import { type ClusterNode, TestCluster } from '../test/support/cluster.js';
import type { TestDatabase } from '../test/support/database.js';
import { cpuMs } from './cpu.js';
import { connectSocket, type LoadOptions, type LoadResult, type Pair, runLoad } from './load.js';
import { type BenchModule, type BenchResult, compared } from './result.js';
import { admin, joined, oneNode, startRelay } from './servers.js';

const BENCH = 'private-chat';
const PAIRS = Number(process.env.BENCH_PAIRS ?? 20);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const load = { inFlight: IN_FLIGHT, seconds: SECONDS, warmupSeconds: WARMUP };
/** Open-loop rates (messages/s offered by all senders together), each run against both. */
const RATES = (process.env.BENCH_RATES ?? '1000,2500')
  .split(',')
  .map(Number)
  .filter((r) => r > 0);

type Measured = LoadResult & {
  cpuPerMessage: number;
  /** convene only: CPU of the PostgreSQL backends serving its pool, per acked message. */
  dbCpuPerMessage?: number;
};

/** The PostgreSQL backend processes connected to the benchmark's database (convene's pool). */
async function databaseBackends(db: TestDatabase): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [db.name],
  );
  return rows.map((r) => r.pid);
}

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

async function relayPairs(url: string, count: number): Promise<Pair[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      sender: await connectSocket(url, { participantId: `s${i}` }),
      recipient: await connectSocket(url, { participantId: `r${i}` }),
      recipientId: `r${i}`,
    })),
  );
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
    ...(r.dbCpuPerMessage === undefined
      ? []
      : [
          {
            bench: BENCH,
            name: `${scenario}: PostgreSQL CPU per message`,
            unit: 'ms',
            value: r.dbCpuPerMessage,
            notes: 'backends of its pool; the relay stores nothing',
          },
        ]),
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

/**
 * The durable floor (bench/durable-relay.ts): the relay plus a committed row per message before
 * delivery, in `db`; its process's CPU and its PostgreSQL backends', per message.
 */
async function floorRun(
  db: TestDatabase,
  count = PAIRS,
  options: LoadOptions = load,
): Promise<Measured> {
  const floor = await startRelay('durable-relay.js', { DATABASE_URL: db.url });
  const pairs = await relayPairs(floor.url, count);
  try {
    const { result: r, dbCpuPerMessage } = await withDatabaseCpu(db, () =>
      measured([floor.pid], pairs, options),
    );
    console.log(
      `  durable floor         : ${describeLoad(r)}; PostgreSQL CPU ${dbCpuPerMessage.toFixed(3)} ms/msg`,
    );
    return { ...r, dbCpuPerMessage };
  } finally {
    close(pairs);
    await floor.stop();
  }
}

/** `run`'s result with the CPU `db`'s client backends spent meanwhile, per acked message. */
async function withDatabaseCpu(
  db: TestDatabase,
  run: () => Promise<Measured>,
): Promise<{ result: Measured; dbCpuPerMessage: number }> {
  // Backends opened during the run count from zero; one closed during it is missed.
  const before = new Map((await databaseBackends(db)).map((pid) => [pid, cpuMs(pid)]));
  const result = await run();
  const dbCpuMs = (await databaseBackends(db)).reduce(
    (sum, pid) => sum + cpuMs(pid) - (before.get(pid) ?? 0),
    0,
  );
  return { result, dbCpuPerMessage: dbCpuMs / result.acked };
}

/**
 * What any design that commits before delivery pays here: the durable floor against the bare
 * relay, and convene against the floor (the cost of everything convene adds to the commit).
 */
function floorFigures(
  scenario: string,
  relay: Measured,
  floor: Measured,
  convene: Measured,
): BenchResult[] {
  if (floor.errors > 0) throw new Error(`${scenario}: durable floor refused ${floor.errors}`);
  const bare = 'bare relay';
  const durable = 'durable floor';
  return [
    compared(
      BENCH,
      `${scenario}: durable floor throughput`,
      'msg/s',
      floor.throughput,
      {
        name: bare,
        value: relay.throughput,
      },
      'relay + one committed row per message before delivery (bench/durable-relay.ts)',
    ),
    compared(BENCH, `${scenario}: durable floor delivery p50`, 'ms', floor.deliveryP50, {
      name: bare,
      value: relay.deliveryP50,
    }),
    compared(
      BENCH,
      `${scenario}: durable floor CPU per message`,
      'ms',
      floor.cpuPerMessage + (floor.dbCpuPerMessage ?? 0),
      {
        name: bare,
        value: relay.cpuPerMessage,
      },
      'its process and its PostgreSQL backends',
    ),
    compared(BENCH, `${scenario}: convene throughput`, 'msg/s', convene.throughput, {
      name: durable,
      value: floor.throughput,
    }),
    compared(BENCH, `${scenario}: convene delivery p50`, 'ms', convene.deliveryP50, {
      name: durable,
      value: floor.deliveryP50,
    }),
    compared(
      BENCH,
      `${scenario}: convene CPU per message`,
      'ms',
      convene.cpuPerMessage + (convene.dbCpuPerMessage ?? 0),
      {
        name: durable,
        value: floor.cpuPerMessage + (floor.dbCpuPerMessage ?? 0),
      },
      'its process and its PostgreSQL backends',
    ),
  ];
}

/** Limits that would otherwise refuse a load generator's hundreds of messages a second. */
const chatEnv = {
  CONVENE_CHAT_RATE_LIMIT_PER_10S: '100000',
  CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '100000',
  CONVENE_WS_EVENTS_PER_SECOND: '1000000',
  CONVENE_WS_EVENT_BURST: '1000000',
};

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
    const { result: r, dbCpuPerMessage } = await withDatabaseCpu(db, () =>
      measured(
        nodes.map((n) => n.process?.pid),
        pairs,
        options,
      ),
    );
    const stored = await verifyChains(senderUrl, roomIds);
    const batch = await batchSize(db, roomIds);
    console.log(
      `  ${label.padEnd(22)}: ${describeLoad(r)}; PostgreSQL CPU ${dbCpuPerMessage.toFixed(3)} ms/msg; ${stored} rows, chains valid, ${batch.toFixed(1)} rows per transaction`,
    );
    return { ...r, dbCpuPerMessage };
  } finally {
    close(pairs);
  }
}

async function run(): Promise<BenchResult[]> {
  console.log(
    `private messages: ${PAIRS} pairs, ${IN_FLIGHT} in flight per sender, ${WARMUP} s warm-up + ${SECONDS} s`,
  );
  const results: BenchResult[] = [];
  const single = await oneNode(chatEnv);
  /** The single node (no Redis) in 5 rooms: what the two-node runs are also compared with. */
  let oneNodeFiveRooms: Measured | undefined;
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
      if (rooms === 5) {
        oneNodeFiveRooms = r;
        results.push(...floorFigures(label, relay, await floorRun(single.db), r));
      }
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
    results.push(
      ...floorFigures(
        'convene, one pair, 1 in flight',
        relay,
        await floorRun(single.db, 1, alone),
        r,
      ),
    );

    // The same offered load for both, below either's capacity: latency at a given rate.
    for (const rate of RATES) {
      const offered = { ...load, rate };
      const relayAtRate = await relayRun(PAIRS, offered);
      const label = `convene, 5 rooms, ${rate} msg/s offered`;
      const atRate = await conveneRun(
        single.db,
        [single.node],
        label,
        single.node.url,
        single.node.url,
        5,
        PAIRS,
        offered,
      );
      results.push(...figures(label, atRate, 'bare relay', relayAtRate));
      results.push(
        ...floorFigures(label, relayAtRate, await floorRun(single.db, PAIRS, offered), atRate),
      );
    }
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
    if (oneNodeFiveRooms) {
      const alone = { name: 'one node without Redis, 5 rooms', value: 0 };
      results.push(
        compared(
          BENCH,
          'convene, 5 rooms, two nodes, across: throughput',
          'msg/s',
          across.throughput,
          {
            ...alone,
            value: oneNodeFiveRooms.throughput,
          },
        ),
        compared(
          BENCH,
          'convene, 5 rooms, two nodes, across: delivery p50',
          'ms',
          across.deliveryP50,
          {
            ...alone,
            value: oneNodeFiveRooms.deliveryP50,
          },
        ),
        compared(
          BENCH,
          'convene, 5 rooms, two nodes, across: server CPU per message',
          'ms',
          across.cpuPerMessage,
          { ...alone, value: oneNodeFiveRooms.cpuPerMessage },
          'both nodes’ CPU; presence, rate limit and fan-out go through Redis',
        ),
      );
    }
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
