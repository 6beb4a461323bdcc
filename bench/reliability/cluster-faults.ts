/**
 * The faults of Redis and of the nodes themselves (faults.ts has what every fault shares): Redis
 * lost with its data, node 2 partitioned from the others, node 2 SIGKILLed mid-burst.
 */
import type { ClusterNode } from '../../test/support/cluster.js';
import { connectSocket } from '../load.js';
import { issueToken } from '../servers.js';
import type { PhaseStats } from './chat-load.js';
import { codes, type FaultResult, fig, measured, ms, type Rig, sleep } from './faults.js';

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
  const crossNodeMs = await rig.load.crossNodeProbe();
  const flooded = (stats: PhaseStats) =>
    rig.load.flooder
      ? `; the flooder was rate-limited ${stats.flooder.rateLimited} times in ${stats.flooder.sends} sends`
      : '';
  const reconnects = rig.load.participants.reduce((n, p) => n + p.reconnects, 0) - reconnectsBefore;
  const passed =
    m.during.noAck === 0 &&
    Number.isFinite(m.recovery.allOkMs) &&
    joinAfter === 'ok' &&
    Number.isFinite(crossNodeMs);
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
      `${fig(m.recovery.allOkMs)} ms, a private message from node 1 to node 2 then delivered in ` +
      `${fig(crossNodeMs)} ms${flooded(m.after)}.`,
    ...m,
    figures: { outageMs, joinDuring, joinAfter, reconnects, crossNodeMs },
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
  const crossNodeMs = await rig.load.crossNodeProbe();
  const passed =
    answered === unacked.length &&
    Number.isFinite(m.recovery.allOkMs) &&
    Number.isFinite(crossNodeMs);
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
      `${fig(m.recovery.allOkMs)} ms, a private message from node 1 to node 2 then delivered in ` +
      `${fig(crossNodeMs)} ms.`,
    ...m,
    figures: { durationMs, reconnects, unacked: unacked.length, answered, crossNodeMs },
  };
}
