/**
 * The faults a reliability run injects while its load runs, each measured: what the senders were
 * told during it, how slow the answers were, and how long until everyone was chatting again.
 * Shared by `npm run reliability` and test/reliability-faults.test.ts.
 */
import type { ClusterNode, TestCluster } from '../../test/support/cluster.js';
import type { SlowLink } from '../../test/support/slow-link.js';
import { connectSocket } from '../load.js';
import { issueToken } from '../servers.js';
import type { ChatLoad, PhaseStats } from './chat-load.js';
import type { NetNamespace, PrivatePostgres, PrivateRedis } from './services.js';

/** What the faults act on. */
export interface Rig {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  /** The namespace PostgreSQL runs in; undefined where namespaces could not be made. */
  ns: NetNamespace | undefined;
  /** The TCP relay between the nodes and PostgreSQL (latency is added there). */
  pgLink: SlowLink;
  /** The TCP relay between node 2 and Redis, its only way to node 1. */
  redisLink: SlowLink;
  cluster: TestCluster;
  load: ChatLoad;
  /** The nodes' CONVENE_DB_QUERY_TIMEOUT_MS. */
  deadlineMs: number;
}

export interface Recovery {
  /** ms from the fault's end to the first acknowledged send. */
  firstOkMs: number;
  /** ms from the fault's end until every participant had a send acknowledged again. */
  allOkMs: number;
}

export interface FaultResult {
  name: string;
  phase: string;
  passed: boolean;
  /** What was observed, in a sentence or two built from the figures. */
  outcome: string;
  durationMs: number;
  recovery: Recovery;
  /** What recovery means for this fault, when not "everyone's sends acknowledged again". */
  recoveryText?: string;
  during: PhaseStats;
  after: PhaseStats;
  figures: Record<string, number | string | boolean>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => Math.round(v);

/** Waits (up to `timeoutMs`) until every non-flooding participant has an acked send after `since`. */
export async function recovered(
  load: ChatLoad,
  since: number,
  timeoutMs = 30_000,
): Promise<Recovery> {
  const people = load.participants.filter((p) => p !== load.flooder);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const firstOk = new Map<string, number>();
    for (const r of load.recordsOf())
      if (r.outcome === 'ok' && r.sentAt >= since && !r.flooder) {
        const at = r.sentAt + (r.ackMs ?? 0);
        const id = r.sender.participantId;
        firstOk.set(id, Math.min(firstOk.get(id) ?? Infinity, at));
      }
    if (firstOk.size === people.length || Date.now() > deadline) {
      const times = [...firstOk.values()];
      return {
        firstOkMs: times.length ? ms(Math.min(...times) - since) : NaN,
        allOkMs: firstOk.size === people.length ? ms(Math.max(...times) - since) : NaN,
      };
    }
    await sleep(200);
  }
}

/** A figure for a sentence: NaN (nothing to measure) as n/a. */
const fig = (v: number) => (Number.isNaN(v) ? 'n/a' : String(v));

const pids = (cluster: TestCluster) => cluster.nodes.map((n) => n.process?.pid ?? 0).join(',');
const codes = (stats: PhaseStats) =>
  Object.entries(stats.errors)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ') || 'no refusals';

/**
 * Runs `fault` as phase `phase` (its `heal` ends it), then phase `<phase>/after` until every
 * participant is chatting again, and returns both phases' figures.
 */
async function measured(
  rig: Rig,
  phase: string,
  fault: () => Promise<void>,
  heal: () => Promise<void>,
): Promise<{ during: PhaseStats; after: PhaseStats; recovery: Recovery; durationMs: number }> {
  const { load } = rig;
  load.phase = phase;
  const started = performance.now();
  await fault();
  await heal();
  const healed = performance.now();
  load.phase = `${phase}/after`;
  const recovery = await recovered(load, healed);
  load.phase = 'between';
  await sleep(2000);
  return {
    during: load.stats(phase),
    after: load.stats(`${phase}/after`),
    recovery,
    durationMs: ms(healed - started),
  };
}

const refusedInTime = (rig: Rig, during: PhaseStats, slackMs: number) =>
  (during.errors.AUDIT_UNAVAILABLE ?? 0) > 0 && during.refusalMax <= rig.deadlineMs + slackMs;
const onlyCodes = (during: PhaseStats, allowed: string[]) =>
  Object.keys(during.errors).every((c) => allowed.includes(c));
/** Refused as unrecorded (and nothing else) within deadline + `slackMs`, and recovered after. */
const failedClosed = (rig: Rig, m: { during: PhaseStats; recovery: Recovery }, slackMs: number) =>
  refusedInTime(rig, m.during, slackMs) &&
  onlyCodes(m.during, ['AUDIT_UNAVAILABLE', 'RECIPIENT_NOT_IN_ROOM']) &&
  Number.isFinite(m.recovery.allOkMs);

/** PostgreSQL stopped (fast shutdown) for `outageMs`, then started again; convene is left running. */
export async function postgresStopped(rig: Rig, outageMs: number): Promise<FaultResult> {
  const before = pids(rig.cluster);
  const m = await measured(
    rig,
    'postgres-stopped',
    async () => {
      await rig.pg.stop();
      await sleep(outageMs);
    },
    () => rig.pg.start(),
  );
  const sameProcesses = pids(rig.cluster) === before;
  const passed = failedClosed(rig, m, 500) && sameProcesses;
  return {
    name: 'PostgreSQL stopped, then started',
    phase: 'postgres-stopped',
    passed,
    outcome:
      `During the outage: ${codes(m.during)}, the slowest refusal after ${m.during.refusalMax} ms ` +
      `(deadline ${rig.deadlineMs} ms). Chat resumed ${m.recovery.firstOkMs} ms after PostgreSQL ` +
      `was back, for everyone after ${fig(m.recovery.allOkMs)} ms, ` +
      `${sameProcesses ? 'without restarting convene' : 'BUT a convene process was restarted'}.`,
    ...m,
    figures: { outageMs, sameProcesses, deadlineMs: rig.deadlineMs },
  };
}

/** Every byte between the nodes and PostgreSQL delayed by `delayMs` each way for `durationMs`. */
export async function postgresSlow(
  rig: Rig,
  delayMs: number,
  durationMs: number,
): Promise<FaultResult> {
  const phase = `postgres-delay-${delayMs}ms`;
  const m = await measured(
    rig,
    phase,
    async () => {
      rig.pgLink.delay(delayMs);
      await sleep(durationMs);
    },
    () => Promise.resolve(rig.pgLink.delay(0)),
  );
  const passed =
    m.during.ok > 0 &&
    onlyCodes(m.during, ['AUDIT_UNAVAILABLE', 'RECIPIENT_NOT_IN_ROOM']) &&
    Number.isFinite(m.recovery.allOkMs);
  return {
    name: `${delayMs} ms added each way between convene and PostgreSQL (TCP relay)`,
    phase,
    passed,
    outcome:
      `${m.during.ok} of ${m.during.sends} sends acknowledged (${codes(m.during)}), ack p50 ` +
      `${m.during.ackP50} ms, p99 ${m.during.ackP99} ms.`,
    ...m,
    figures: { delayMs },
  };
}

/** The link to PostgreSQL's namespace down for `durationMs` (packets dropped, nothing refused). */
export async function postgresPartitioned(rig: Rig, durationMs: number): Promise<FaultResult> {
  const ns = rig.ns;
  if (!ns) throw new Error('no namespace');
  const m = await measured(
    rig,
    'postgres-partitioned',
    async () => {
      await ns.cut();
      await sleep(durationMs);
    },
    () => ns.heal(),
  );
  const passed = failedClosed(rig, m, 1500) && m.during.noAck === 0;
  return {
    name: 'Partition between convene and PostgreSQL (veth of its namespace down)',
    phase: 'postgres-partitioned',
    passed,
    outcome:
      `During the partition: ${codes(m.during)}, ${m.during.noAck} sends without an answer, the ` +
      `slowest refusal after ${m.during.refusalMax} ms (deadline ${rig.deadlineMs} ms plus 1 s ` +
      `for a silent link). Everyone chatting again ${fig(m.recovery.allOkMs)} ms after the link came back.`,
    ...m,
    figures: { durationMs, deadlineMs: rig.deadlineMs },
  };
}

/** What a join through `node` answers right now (ok, or the refusal's code). */
async function joinProbe(rig: Rig, node: ClusterNode): Promise<string> {
  const roomId = rig.load.roomIds[0];
  try {
    const { token } = await issueToken(rig.cluster.node(0).url, roomId, 'Probe');
    const socket = await connectSocket(node.url, { token });
    try {
      const ack = (await socket.timeout(5000).emitWithAck('room:join', {})) as {
        ok: boolean;
        error?: { code: string };
      };
      return ack.ok ? 'ok' : (ack.error?.code ?? 'refused');
    } finally {
      socket.close();
    }
  } catch (error) {
    const data = (error as { data?: { code?: string } }).data;
    return `connection refused: ${data?.code ?? (error as Error).message}`;
  }
}

/** The nodes' Redis SIGKILLed (all its data lost) for `outageMs`, then started again, empty. */
export async function redisLost(rig: Rig, outageMs: number): Promise<FaultResult> {
  const reconnectsBefore = rig.load.participants.reduce((n, p) => n + p.reconnects, 0);
  let joinDuring = '';
  const m = await measured(
    rig,
    'redis-lost',
    async () => {
      await rig.redis.kill();
      await sleep(Math.min(1000, outageMs / 2));
      joinDuring = await joinProbe(rig, rig.cluster.node(1));
      await sleep(outageMs - Math.min(1000, outageMs / 2));
    },
    () => rig.redis.start(),
  );
  const joinAfter = await joinProbe(rig, rig.cluster.node(1));
  const flooded = (stats: PhaseStats) =>
    rig.load.flooder
      ? `; the flooder was rate-limited ${stats.flooder.rateLimited} times in ${stats.flooder.sends} sends`
      : '';
  const reconnects = rig.load.participants.reduce((n, p) => n + p.reconnects, 0) - reconnectsBefore;
  const passed =
    m.during.noAck === 0 &&
    Number.isFinite(m.recovery.allOkMs) &&
    joinAfter === 'ok' &&
    m.after.privateDeliveredCrossNode > 0;
  return {
    name: 'Redis lost (SIGKILL, data gone) and back, two nodes',
    phase: 'redis-lost',
    passed,
    outcome:
      `During the outage: ${m.during.ok} of ${m.during.sends} sends acknowledged (${codes(m.during)}); ` +
      `acknowledged private messages delivered: same node ${fig(m.during.privateDeliveredSameNode)} %, ` +
      `across nodes ${fig(m.during.privateDeliveredCrossNode)} %; a new join answered ${joinDuring}` +
      `${flooded(m.during)}. After Redis came back: ${reconnects} reconnections (the nodes ended ` +
      `their sessions), a new join answered ${joinAfter}, everyone chatting again after ` +
      `${fig(m.recovery.allOkMs)} ms, private messages across nodes ` +
      `${fig(m.after.privateDeliveredCrossNode)} % delivered${flooded(m.after)}.`,
    ...m,
    figures: { outageMs, joinDuring, joinAfter, reconnects },
  };
}

/**
 * A burst from everyone on node 2, which is SIGKILLed while it is under way and started again
 * `downMs` later; every send whose ack was lost is then retried with the same clientMessageId.
 */
export async function nodeKilled(rig: Rig, downMs: number): Promise<FaultResult> {
  const node = rig.cluster.node(1);
  let restartMs = 0;
  const m = await measured(
    rig,
    'node-killed',
    async () => {
      rig.load.burst(1, 6);
      // Into the burst: some of it committed, some not yet read, acks on their way.
      await sleep(20);
      await node.kill();
      await sleep(downMs);
    },
    async () => {
      const t = performance.now();
      await node.start();
      restartMs = ms(performance.now() - t);
    },
  );
  const unacked = rig.load.recordsOf('node-killed').filter((r) => r.outcome === 'no-ack');
  // Which of them the node had committed before it died (the retry must return that row).
  const storedBefore = new Set(
    (
      await rig.pg.query<{ client_message_id: string }>(
        rig.cluster.db.name,
        'SELECT client_message_id FROM chat_messages WHERE client_message_id = ANY($1)',
        [unacked.map((r) => r.clientMessageId)],
      )
    ).map((r) => r.client_message_id),
  );
  await rig.load.retryUnacked();
  const retriedOk = unacked.filter((r) => r.retry?.outcome === 'ok').length;
  const refusals = unacked
    .filter((r) => r.retry?.outcome !== 'ok')
    .map((r) => r.retry?.code ?? r.retry?.outcome)
    .join(', ');
  const passed = Number.isFinite(m.recovery.allOkMs) && unacked.every((r) => r.retry);
  return {
    name: 'A node SIGKILLed mid-burst, then restarted',
    phase: 'node-killed',
    passed,
    outcome:
      `${unacked.length} sends lost their ack with the node. Retried with the same ` +
      `clientMessageId: ${retriedOk} acknowledged (${storedBefore.size} had been committed before ` +
      `the kill, and their retry returned that row; the others were stored by the retry; none ` +
      `twice), ${unacked.length - retriedOk} refused${refusals ? ` (${refusals})` : ''}. ` +
      `The node was ready ${restartMs} ms after its restart; everyone chatting again ` +
      `${fig(m.recovery.allOkMs)} ms after that.`,
    ...m,
    figures: {
      downMs,
      restartMs,
      unacked: unacked.length,
      storedBeforeKill: storedBefore.size,
      retriedOk,
    },
  };
}

/**
 * Node 2 cut off from Redis, and so from node 1, for `durationMs`: its relay holds everything
 * either way (as a partition does; TCP delivers it once the link is back).
 */
export async function nodePartitioned(rig: Rig, durationMs: number): Promise<FaultResult> {
  const reconnectsBefore = rig.load.participants.reduce((n, p) => n + p.reconnects, 0);
  const m = await measured(
    rig,
    'nodes-partitioned',
    async () => {
      rig.redisLink.hold('to-server');
      rig.redisLink.hold('to-browser');
      await sleep(durationMs);
    },
    () => {
      rig.redisLink.release('to-server');
      rig.redisLink.release('to-browser');
      return Promise.resolve();
    },
  );
  const reconnects = rig.load.participants.reduce((n, p) => n + p.reconnects, 0) - reconnectsBefore;
  // Sends in flight when node 2 ended its sessions lost their ack with the connection.
  const unacked = rig.load.recordsOf('nodes-partitioned').filter((r) => r.outcome === 'no-ack');
  await rig.load.retryUnacked();
  const answered = unacked.filter((r) => r.retry && r.retry.outcome !== 'no-ack').length;
  const passed = answered === unacked.length && Number.isFinite(m.recovery.allOkMs);
  return {
    name: 'Partition between the nodes (node 2 cut off from Redis, TCP relay)',
    phase: 'nodes-partitioned',
    passed,
    outcome:
      `During the partition: ${m.during.ok} of ${m.during.sends} sends acknowledged ` +
      `(${codes(m.during)}); acknowledged private messages delivered: same node ` +
      `${fig(m.during.privateDeliveredSameNode)} %, across nodes ` +
      `${fig(m.during.privateDeliveredCrossNode)} % (late: delivery p99 ` +
      `${fig(m.during.deliveryP99)} ms, what node 1 sent to node 2 waited in the link). When it healed, node 2 found it had been ` +
      `counted out and ended its sessions: ${reconnects} reconnections; ${unacked.length} sends ` +
      `in flight lost their ack with the connection, and ${answered} of their retries (same ` +
      `clientMessageId) were answered. Everyone chatting again after ` +
      `${fig(m.recovery.allOkMs)} ms, private messages across nodes ` +
      `${fig(m.after.privateDeliveredCrossNode)} % delivered.`,
    ...m,
    figures: { durationMs, reconnects, unacked: unacked.length, answered },
  };
}
