/**
 * The faults a reliability run injects while its load runs, each measured: what the senders were
 * told during it, how slow the answers were, and how long until everyone was chatting again.
 * Shared by `npm run reliability` and test/reliability-faults.test.ts. This file: what they all
 * share, and the faults of PostgreSQL (cluster-faults.ts: Redis and the nodes).
 */
import type { TestCluster } from '../../test/support/cluster.js';
import type { SlowLink } from '../../test/support/slow-link.js';
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
export const ms = (v: number) => Math.round(v);

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
export const fig = (v: number) => (Number.isNaN(v) ? 'n/a' : String(v));

const pids = (cluster: TestCluster) => cluster.nodes.map((n) => n.process?.pid ?? 0).join(',');
export const codes = (stats: PhaseStats) =>
  Object.entries(stats.errors)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ') || 'no refusals';

/**
 * Runs `fault` as phase `phase` (its `heal` ends it), then phase `<phase>/after` until every
 * participant is chatting again, and returns both phases' figures.
 */
export async function measured(
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
