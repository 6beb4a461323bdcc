/**
 * Joins at a fixed offered rate (open loop: a new join starts every 1000/rate ms whatever the
 * earlier ones do), each timed end to end as a user joins: its token issued beforehand through
 * the admin API (not timed), then Socket.IO connect to /conference with the token, `room:join`
 * acked, and the room router's RTP capabilities (`media:getRouterRtpCapabilities`) received.
 * Everyone stays connected until the scenario ends, so later joins find fuller rooms. The
 * baseline is the same generator against the bare relay: connect and one acked round trip.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { connectSocket, openLoop, type OpenLoopResult, percentile } from './load.js';
import { type BenchModule, type BenchResult, compared } from './result.js';
import { admin, type BenchNode, createRoom, issueToken, oneNode, startRelay } from './servers.js';
import { cpuMs } from './cpu.js';

const BENCH = 'joins';
const RATE = Number(process.env.BENCH_JOIN_RATE ?? 100);
/** The issue's target for the join p99, in ms. */
const TARGET_P99_MS = 25;
/** `<rooms>x<participants per room>`, comma-separated. */
const SCENARIOS = (process.env.BENCH_JOIN_SCENARIOS ?? '10x30,1x600').split(',').map((s) => {
  const [rooms, perRoom] = s.split('x').map(Number);
  return { rooms, perRoom };
});

interface Ack {
  ok: boolean;
  error?: { code: string; message: string };
}

interface Measured extends OpenLoopResult {
  /** Server CPU time per join (ms). */
  cpuPerJoin: number;
  /** The load generator's CPU time per join (ms). */
  generatorCpuPerJoin: number;
  /** The load generator's own event-loop delay during the run (ms). */
  generatorDelayP99: number;
}

function acked(what: string, reply: Ack): void {
  if (!reply.ok) throw new Error(`${what}: ${reply.error?.code} ${reply.error?.message}`);
}

/** Runs `count` joins through `join`, with the server's CPU time and the generator's lag. */
async function measure(
  pid: number | undefined,
  count: number,
  join: (i: number) => Promise<void>,
): Promise<Measured> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const before = cpuMs(pid);
  const generator = process.cpuUsage();
  const r = await openLoop(count, RATE, join);
  const cpuPerJoin = (cpuMs(pid) - before) / count;
  const used = process.cpuUsage(generator);
  const generatorCpuPerJoin = (used.user + used.system) / 1000 / count;
  delay.disable();
  if (r.errors > 0) throw new Error(`${r.errors} of ${count} joins failed: ${r.firstError}`);
  return { ...r, cpuPerJoin, generatorCpuPerJoin, generatorDelayP99: delay.percentile(99) / 1e6 };
}

function describe(r: Measured): string {
  const l = r.latencies;
  return (
    `p50 ${percentile(l, 50).toFixed(2)} ms, p99 ${percentile(l, 99).toFixed(2)} ms, ` +
    `max ${l[l.length - 1].toFixed(2)} ms; server CPU ${r.cpuPerJoin.toFixed(2)} ms/join; ` +
    `generator CPU ${r.generatorCpuPerJoin.toFixed(2)} ms/join, start lag p99 ${r.startLagP99.toFixed(2)} ms, event-loop delay p99 ${r.generatorDelayP99.toFixed(2)} ms`
  );
}

async function relayRun(rooms: number, count: number): Promise<Measured> {
  const relay = await startRelay();
  const sockets: Socket[] = [];
  try {
    const r = await measure(relay.pid, count, async (i) => {
      const socket = await connectSocket(relay.url, {
        participantId: `p${i}`,
        roomId: `room${i % rooms}`,
      });
      sockets.push(socket);
      acked('room:join', (await socket.timeout(10_000).emitWithAck('room:join', {})) as Ack);
    });
    console.log(`  bare relay: ${describe(r)}`);
    return r;
  } finally {
    for (const s of sockets) s.close();
    await relay.stop();
  }
}

/** Waits until nobody is present in `roomIds` any more (the server has processed the leaves). */
async function emptied(url: string, roomIds: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const roomId of roomIds) {
    while ((await admin<unknown[]>(url, `/rooms/${roomId}/participants`)).length > 0) {
      if (Date.now() > deadline) throw new Error(`room ${roomId} still has participants`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function conveneRun(single: BenchNode, rooms: number, perRoom: number): Promise<Measured> {
  const url = single.node.url;
  const roomIds = await Promise.all(
    Array.from({ length: rooms }, (_, i) => createRoom(url, `joins ${i}`, perRoom)),
  );
  const count = rooms * perRoom;
  // Issued beforehand, not timed; a few at a time.
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = Array.from({ length: Math.min(20, count - i) }, (_, k) =>
      issueToken(url, roomIds[(i + k) % rooms], `J${i + k}`),
    );
    tokens.push(...(await Promise.all(batch)).map((t) => t.token));
  }
  const sockets: Socket[] = [];
  try {
    const r = await measure(single.node.process?.pid, count, async (i) => {
      const socket = await connectSocket(url, { token: tokens[i] });
      sockets.push(socket);
      acked('room:join', (await socket.timeout(10_000).emitWithAck('room:join', {})) as Ack);
      acked(
        'media:getRouterRtpCapabilities',
        (await socket.timeout(10_000).emitWithAck('media:getRouterRtpCapabilities', {})) as Ack,
      );
    });
    console.log(`  convene   : ${describe(r)}`);
    return r;
  } finally {
    for (const s of sockets) s.close();
    await emptied(url, roomIds);
  }
}

async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const single = await oneNode({
    CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '100000',
    CONVENE_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  });
  try {
    for (const { rooms, perRoom } of SCENARIOS) {
      const count = rooms * perRoom;
      const scenario = `${rooms} room${rooms > 1 ? 's' : ''} of ${perRoom}`;
      console.log(`${scenario}: ${count} joins at ${RATE}/s`);
      const relay = await relayRun(rooms, count);
      const r = await conveneRun(single, rooms, perRoom);
      const base = (f: (m: Measured) => number) => ({ name: 'bare relay', value: f(relay) });
      const p50 = (m: Measured) => percentile(m.latencies, 50);
      const p99 = (m: Measured) => percentile(m.latencies, 99);
      const max = (m: Measured) => m.latencies[m.latencies.length - 1];
      const met = p99(r) < TARGET_P99_MS;
      console.log(
        `  target p99 < ${TARGET_P99_MS} ms: ${met ? 'met' : 'NOT met'} (${p99(r).toFixed(2)} ms)`,
      );
      const label = `convene, ${scenario}, ${RATE} joins/s`;
      results.push(
        compared(BENCH, `${label}: join p50`, 'ms', p50(r), base(p50)),
        compared(
          BENCH,
          `${label}: join p99`,
          'ms',
          p99(r),
          base(p99),
          // A late generator (a busy machine) shows here: its lag counts against the joins.
          `target < ${TARGET_P99_MS} ms: ${met ? 'met' : 'not met'}; generator start lag p99 ${r.startLagP99.toFixed(1)} ms`,
        ),
        compared(BENCH, `${label}: join max`, 'ms', max(r), base(max)),
        compared(
          BENCH,
          `${label}: server CPU per join`,
          'ms',
          r.cpuPerJoin,
          base((m) => m.cpuPerJoin),
        ),
      );
    }
  } finally {
    await single.drop();
  }
  return results;
}

export const joinsBench: BenchModule = {
  name: BENCH,
  describe: `Joins at ${RATE}/s, open loop (token → connect → room:join acked → router RTP capabilities): convene against a bare relay's connect + one round trip`,
  run,
};
