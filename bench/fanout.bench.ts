/**
 * Public message fan-out in one big room: a few senders send public `chat:send`s at a fixed
 * offered rate (open loop), every one of the receivers gets each message. Convene (audit row
 * committed before delivery, chain verified afterwards) against the bare relay doing the same
 * room broadcast without storage, same generator, same run. The receiving sockets live in child
 * processes (bench/receivers.ts), the senders in this one; a delivery is timed from send to
 * receipt on the machine's wall clock, which every process shares.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { connectSocket, openLoop, type OpenLoopResult, percentile } from './load.js';
import type { ReceiversCommand, ReceiversReply } from './receivers.js';
import { wallClock } from './receivers.js';
import { type BenchModule, type BenchResult, compared } from './result.js';
import { admin, createRoom, issueToken, joined, oneNode, startRelay } from './servers.js';
import { cpuMs } from './cpu.js';

const BENCH = 'fanout';
const RECEIVERS = Number(process.env.BENCH_FANOUT_RECEIVERS ?? 500);
const SENDERS = Number(process.env.BENCH_FANOUT_SENDERS ?? 4);
/** Public messages per second, all senders together. */
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 40);
const PROCESSES = Number(process.env.BENCH_FANOUT_PROCESSES ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const dist = join(import.meta.dirname, '..');

type Report = Extract<ReceiversReply, { type: 'report' }>;

/** The receiving child processes, each holding a share of the sockets. */
class Receivers {
  private constructor(private readonly children: ChildProcess[]) {}

  /** Forks the children and connects (and joins) `auths` spread over them. */
  static async start(url: string, auths: Record<string, unknown>[]): Promise<Receivers> {
    const children = Array.from({ length: PROCESSES }, () =>
      fork(join(dist, 'bench', 'receivers.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const receivers = new Receivers(children);
    try {
      await Promise.all(
        children.map(async (child, k) => {
          const ready = receivers.next(child);
          const share = auths.filter((_, i) => i % PROCESSES === k);
          child.send({ type: 'connect', url, auths: share } satisfies ReceiversCommand);
          const answer = await ready;
          if (answer.type !== 'ready') throw new Error(`receivers: ${JSON.stringify(answer)}`);
        }),
      );
    } catch (error) {
      await receivers.close();
      throw error;
    }
    return receivers;
  }

  private next(child: ChildProcess): Promise<ReceiversReply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`receivers exited with ${code}`));
      };
      const onMessage = (m: ReceiversReply) => {
        child.off('exit', onExit);
        resolve(m);
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
    });
  }

  async reports(): Promise<Report[]> {
    return Promise.all(
      this.children.map(async (child) => {
        const answer = this.next(child);
        child.send({ type: 'report' } satisfies ReceiversCommand);
        const report = await answer;
        if (report.type !== 'report') throw new Error(`receivers: ${JSON.stringify(report)}`);
        return report;
      }),
    );
  }

  /** Waits (up to `ms`) until `expected` measured deliveries have arrived; the final reports. */
  async settled(expected: number, ms: number): Promise<Report[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const reports = await this.reports();
      const got = reports.reduce((n, r) => n + r.latencies.length, 0);
      if (got >= expected || Date.now() > deadline) return reports;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        if (child.connected) child.send({ type: 'close' } satisfies ReceiversCommand);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

interface Measured {
  /** Measured deliveries per second, from the first measured send to the last delivery. */
  deliveredPerSecond: number;
  /** Measured deliveries that arrived, as a share of (measured messages × receivers). */
  completeness: number;
  deliveryP50: number;
  deliveryP99: number;
  ackP99: number;
  /** Server CPU time per delivery (ms). */
  cpuPerDelivery: number;
  /** The load generator's CPU time (all its processes) per delivery (ms). */
  generatorCpuPerDelivery: number;
  sent: OpenLoopResult;
}

/** Sends at `RATE` for the warm-up and the measured seconds from `senders`; then collects. */
async function drive(
  senders: Socket[],
  receivers: Receivers,
  serverPid: number | undefined,
): Promise<Measured> {
  const warmupCount = Math.round(WARMUP * RATE);
  const count = warmupCount + Math.round(SECONDS * RATE);
  let measuredStart = 0;
  const cpuBefore = cpuMs(serverPid);
  const generatorBefore = (await receivers.reports()).reduce((n, r) => n + r.cpuMs, 0);
  const ownBefore = process.cpuUsage();
  const sent = await openLoop(count, RATE, async (i) => {
    const now = wallClock();
    if (i === warmupCount) measuredStart = now;
    const reply = (await senders[i % senders.length].timeout(15_000).emitWithAck('chat:send', {
      kind: 'public',
      text: `${i >= warmupCount ? 'm' : 'w'} ${now}`,
      clientMessageId: randomUUID(),
    })) as { ok: boolean; error?: { code: string } };
    if (!reply.ok) throw new Error(reply.error?.code ?? 'refused');
  });
  if (sent.errors > 0)
    throw new Error(`${sent.errors} of ${count} sends failed: ${sent.firstError}`);
  const measuredMessages = count - warmupCount;
  const reports = await receivers.settled(measuredMessages * RECEIVERS, 5000);
  const cpu = cpuMs(serverPid) - cpuBefore;
  const own = process.cpuUsage(ownBefore);
  const generator =
    reports.reduce((n, r) => n + r.cpuMs, 0) - generatorBefore + (own.user + own.system) / 1000;
  const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const last = Math.max(...reports.map((r) => r.last));
  const delivered = latencies.length;
  return {
    deliveredPerSecond: delivered / ((last - measuredStart) / 1000),
    completeness: delivered / (measuredMessages * RECEIVERS),
    deliveryP50: percentile(latencies, 50),
    deliveryP99: percentile(latencies, 99),
    ackP99: percentile(sent.latencies, 99),
    cpuPerDelivery: cpu / delivered,
    generatorCpuPerDelivery: generator / delivered,
    sent,
  };
}

function describe(r: Measured): string {
  return (
    `${r.deliveredPerSecond.toFixed(0)} deliveries/s (${(100 * r.completeness).toFixed(1)}% of measured messages × receivers), ` +
    `delivery p50 ${r.deliveryP50.toFixed(2)} ms p99 ${r.deliveryP99.toFixed(2)} ms, send ack p99 ${r.ackP99.toFixed(2)} ms; ` +
    `server CPU ${(1000 * r.cpuPerDelivery).toFixed(1)} µs/delivery, generator CPU ${(1000 * r.generatorCpuPerDelivery).toFixed(1)} µs/delivery, ` +
    `send start lag p99 ${r.sent.startLagP99.toFixed(2)} ms`
  );
}

async function relayRun(): Promise<Measured> {
  const started = performance.now();
  const relay = await startRelay();
  const senders: Socket[] = [];
  let receivers: Receivers | undefined;
  try {
    const auth = (participantId: string) => ({ participantId, roomId: 'fanout' });
    for (let k = 0; k < SENDERS; k++) senders.push(await connectSocket(relay.url, auth(`s${k}`)));
    receivers = await Receivers.start(
      relay.url,
      Array.from({ length: RECEIVERS }, (_, i) => auth(`r${i}`)),
    );
    const setup = (performance.now() - started) / 1000;
    const r = await drive(senders, receivers, relay.pid);
    console.log(`  bare relay: ${describe(r)}; set up in ${setup.toFixed(1)} s`);
    return r;
  } finally {
    for (const s of senders) s.close();
    await receivers?.close();
    await relay.stop();
  }
}

async function conveneRun(): Promise<Measured> {
  const started = performance.now();
  const single = await oneNode({
    CONVENE_CHAT_RATE_LIMIT_PER_10S: '100000',
    CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '100000',
    CONVENE_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  });
  const url = single.node.url;
  const senders: Socket[] = [];
  let receivers: Receivers | undefined;
  try {
    const roomId = await createRoom(url, 'fanout', RECEIVERS + SENDERS);
    for (let k = 0; k < SENDERS; k++) senders.push((await joined(url, roomId, `S${k}`)).socket);
    const auths: Record<string, unknown>[] = [];
    for (let i = 0; i < RECEIVERS; i += 20) {
      const batch = Array.from({ length: Math.min(20, RECEIVERS - i) }, (_, k) =>
        issueToken(url, roomId, `R${i + k}`),
      );
      auths.push(...(await Promise.all(batch)).map(({ token }) => ({ token })));
    }
    receivers = await Receivers.start(url, auths);
    const setup = (performance.now() - started) / 1000;
    const r = await drive(senders, receivers, single.node.process?.pid);
    const v = await admin<{ valid: boolean; count: number }>(
      url,
      `/rooms/${roomId}/messages/verify`,
    );
    if (!v.valid) throw new Error(`chain not valid: ${JSON.stringify(v)}`);
    console.log(
      `  convene   : ${describe(r)}; ${v.count} rows, chain valid; set up in ${setup.toFixed(1)} s`,
    );
    return r;
  } finally {
    for (const s of senders) s.close();
    await receivers?.close();
    await single.drop();
  }
}

async function run(): Promise<BenchResult[]> {
  console.log(
    `public messages: ${SENDERS} senders, ${RATE} msg/s together (${RATE * RECEIVERS} deliveries/s offered) to ${RECEIVERS} receivers in ${PROCESSES} processes, ${WARMUP} s warm-up + ${SECONDS} s`,
  );
  const relay = await relayRun();
  const r = await conveneRun();
  const base = (f: (m: Measured) => number) => ({ name: 'bare relay', value: f(relay) });
  const label = `convene, 1 room of ${RECEIVERS + SENDERS}, ${RATE} public msg/s`;
  const complete = `${(100 * r.completeness).toFixed(1)}% of deliveries arrived (relay ${(100 * relay.completeness).toFixed(1)}%)`;
  return [
    compared(
      BENCH,
      `${label}: deliveries/s`,
      'msg/s',
      r.deliveredPerSecond,
      base((m) => m.deliveredPerSecond),
      `offered ${RATE * RECEIVERS}/s; ${complete}`,
    ),
    compared(
      BENCH,
      `${label}: delivery p50`,
      'ms',
      r.deliveryP50,
      base((m) => m.deliveryP50),
    ),
    compared(
      BENCH,
      `${label}: delivery p99`,
      'ms',
      r.deliveryP99,
      base((m) => m.deliveryP99),
    ),
    compared(
      BENCH,
      `${label}: server CPU per delivery`,
      'ms',
      r.cpuPerDelivery,
      base((m) => m.cpuPerDelivery),
    ),
  ];
}

export const fanoutBench: BenchModule = {
  name: BENCH,
  describe: `Public message fan-out to ${RECEIVERS} receivers in one room, audit row committed before delivery: convene against the bare relay's room broadcast, same generator, same run`,
  run,
};
