/**
 * `npm run reliability`: holds a chat load on two convene nodes, breaks PostgreSQL, Redis, the
 * network, a mediasoup worker and a node on purpose, checks every promise afterwards, and writes
 * bench/reliability/results.json and docs/RELIABILITY.md from what it measured. Bounded (about
 * five minutes); loopback and the network namespace it makes only; never the shared services.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { machine } from '../report.js';
import type { LoadShape } from './chat-load.js';
import { nodeKilled, nodePartitioned, redisLost } from './cluster-faults.js';
import {
  type FaultResult,
  postgresPartitioned,
  postgresSlow,
  postgresStopped,
  sleep,
} from './faults.js';
import { checkInvariants } from './invariants.js';
import { mediaWorkerKilled, startMediaRig } from './media-fault.js';
import { MemorySampler } from './memory.js';
import {
  type BadInputs,
  type NotArranged,
  renderReliability,
  type ReliabilityRun,
} from './report.js';
import { startRig } from './rig.js';

// Compiled to dist/bench/reliability: the repository is three levels up.
const root = join(import.meta.dirname, '..', '..', '..');
const SHAPE: LoadShape = { rooms: 4, perRoom: 6, ratePerParticipant: 1, floodRate: 10 };
const STEADY_SECONDS = Number(process.env.RELIABILITY_STEADY_SECONDS ?? 45);
const OUTAGE_MS = 8000;
const DEADLINE_MS = 2000;
const P99_BOUND_MS = 500;
const MEMORY_BOUND_MIB = 400;

/** Runs test/property.test.ts against `databaseUrl`; how many bad inputs it tried, and whether it passed. */
async function badInputs(databaseUrl: string): Promise<BadInputs | { error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'convene-reliability-property-'));
  const report = join(dir, 'tried.json');
  try {
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=dot', join(root, 'dist', 'test', 'property.test.js')],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: databaseUrl,
          CONVENE_TEST_ADMIN_URL: databaseUrl,
          CONVENE_DATA_DIR: join(dir, 'data'),
          PROPERTY_REPORT: report,
        },
      },
    );
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const { seed, runs, tried } = JSON.parse(readFileSync(report, 'utf8')) as {
      seed: number;
      runs: number;
      tried: Record<string, number>;
    };
    const of = (prefix: string) => {
      const entries = Object.entries(tried).filter(([k]) => k.startsWith(prefix));
      return { targets: entries.length, inputs: entries.reduce((n, [, v]) => n + v, 0) };
    };
    const adminRoutes = of('admin ');
    const socketEvents = of('socket ');
    return {
      seed,
      runsPerTarget: runs,
      total: adminRoutes.inputs + socketEvents.inputs,
      adminRoutes,
      socketEvents,
      passed: code === 0,
    };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  console.log('starting PostgreSQL, Redis and two convene nodes of the run’s own');
  const rig = await startRig({
    shape: SHAPE,
    pgPort: 55440,
    redisPort: 56390,
    rtcBase: 42300,
    deadlineMs: DEADLINE_MS,
    namespace: 'cvrel',
  });
  const { load } = rig;
  const media = await startMediaRig(42380);
  const memory = new MemorySampler(rig.cluster);
  const faults: (FaultResult | NotArranged)[] = [];
  let run: ReliabilityRun | undefined;
  try {
    memory.start();
    load.start();
    console.log(`load: ${load.participants.length} participants; steady phase ${STEADY_SECONDS} s`);
    await sleep(3000);
    load.phase = 'steady';
    await sleep(STEADY_SECONDS * 1000);
    memory.markSteady();
    load.phase = 'between';
    await sleep(1000);

    const step = async (name: string, fault: () => Promise<FaultResult>) => {
      console.log(`fault: ${name}`);
      const result = await fault();
      console.log(`  ${result.passed ? 'survived' : 'NOT SURVIVED'}: ${result.outcome}`);
      faults.push(result);
    };
    await step('PostgreSQL stop', () => postgresStopped(rig, OUTAGE_MS));
    await step('PostgreSQL slow', () => postgresSlow(rig, 100, OUTAGE_MS));
    if (rig.ns) await step('PostgreSQL partition', () => postgresPartitioned(rig, OUTAGE_MS));
    else
      faults.push({
        name: 'Partition between convene and PostgreSQL (network namespace)',
        arranged: false,
        reason: rig.namespaceError ?? 'no namespace',
      });
    faults.push({
      name: 'Packet delay and loss with tc netem (delay was added by a TCP relay instead)',
      arranged: false,
      reason: rig.netemError ?? rig.namespaceError ?? 'no namespace',
    });
    await step('Redis lost', () => redisLost(rig, OUTAGE_MS));
    await step('nodes partitioned', () => nodePartitioned(rig, OUTAGE_MS));
    await step('mediasoup worker', () => mediaWorkerKilled(media, rig.cluster.node(0), load));
    await step('node SIGKILL', () => nodeKilled(rig, 2000));

    await load.stop();
    const steady = load.stats('steady');
    const phases = [...new Set(load.recordsOf().map((r) => r.phase))].map((p) => load.stats(p));
    const rows = await rig.pg.query<{ id: string; sender_id: string; client_message_id: string }>(
      rig.cluster.db.name,
      'SELECT id, sender_id, client_message_id FROM chat_messages',
    );
    const invariants = await checkInvariants(load, rows, rig.cluster.node(0).url);
    const series = memory.stop();
    const othersRateLimited = load
      .recordsOf()
      .filter((r) => !r.flooder && r.code === 'RATE_LIMITED').length;
    load.close();
    console.log('bad inputs: test/property.test.ts against the run’s PostgreSQL');
    const bad = await badInputs(rig.pg.url);
    run = {
      date: started.toISOString(),
      machine: {
        ...machine(),
        postgres: (await rig.pg.query<{ v: string }>('postgres', 'SELECT version() AS v'))[0].v,
      },
      durationSeconds: Math.round((performance.now() - t0) / 1000),
      settings: {
        nodes: rig.cluster.nodes.length,
        rooms: SHAPE.rooms,
        participants: SHAPE.rooms * SHAPE.perRoom,
        ratePerParticipant: SHAPE.ratePerParticipant,
        offeredRate: SHAPE.rooms * SHAPE.perRoom * SHAPE.ratePerParticipant,
        floodRate: SHAPE.floodRate,
        chatRateLimitPer10s: 30,
        dbQueryTimeoutMs: DEADLINE_MS,
        nodeTtlSeconds: 3,
        steadySeconds: STEADY_SECONDS,
      },
      load: {
        p99BoundMs: P99_BOUND_MS,
        steady,
        othersRateLimited,
        passed:
          steady.ackP99 <= P99_BOUND_MS &&
          steady.deliveryP99 <= P99_BOUND_MS &&
          steady.flooder.rateLimited > 0 &&
          othersRateLimited === 0,
      },
      faults,
      memory: series,
      memoryBoundMiB: MEMORY_BOUND_MIB,
      memoryPassed: series.every((s) => s.maxMiB <= MEMORY_BOUND_MIB),
      invariants,
      invariantsPassed:
        invariants.messagesLost === 0 &&
        invariants.ackedNotExactlyOnce === 0 &&
        invariants.deliveredWithoutRow === 0 &&
        invariants.privateSeenByOthers === 0 &&
        invariants.chainsInvalid === 0,
      badInputs: bad,
      phases,
    };
  } finally {
    load.close();
    await media.close().catch(() => undefined);
    await rig.close();
  }
  writeFileSync(
    join(root, 'bench', 'reliability', 'results.json'),
    `${JSON.stringify(run, null, 2)}\n`,
  );
  const doc = join(root, 'docs', 'RELIABILITY.md');
  const options = { ...(await resolveConfig(doc)), parser: 'markdown' };
  writeFileSync(doc, await format(renderReliability(run), options));
  const failed = [
    !run.load.passed && 'load',
    !run.invariantsPassed && 'invariants',
    !run.memoryPassed && 'memory',
    ...run.faults.filter((f) => 'passed' in f && !f.passed).map((f) => f.name),
  ].filter(Boolean);
  console.log(
    `wrote bench/reliability/results.json and docs/RELIABILITY.md in ${run.durationSeconds} s`,
  );
  if (failed.length > 0) {
    console.log(`NOT held: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
