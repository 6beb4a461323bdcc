/**
 * The mediasoup-worker fault. Media is driven with plain RTP (ffmpeg into a producer, a UDP sink
 * behind a consumer), which needs MediaService's server-side transport seam: so the media room
 * lives in a convene application started in this process (its mediasoup workers are processes of
 * their own, as in production). At the same time the worker of cluster node 1, which carries
 * chat load, is killed too, to show that chat does not notice.
 */
import { readFileSync } from 'node:fs';
import { Admin } from '../../test/support/admin.js';
import { startApp, type TestApp } from '../../test/support/app.js';
import type { ClusterNode } from '../../test/support/cluster.js';
import { eventually } from '../../test/support/eventually.js';
import { audioPair, type AudioPair, roomMedia } from '../../test/support/media.js';
import { type Person, RoomFixture } from '../../test/support/room.js';
import type { ChatLoad } from './chat-load.js';
import type { FaultResult } from './faults.js';
import { recovered, sleep } from './faults.js';

export interface MediaRig {
  app: TestApp;
  rooms: RoomFixture;
  alice: Person;
  bob: Person;
  close(): Promise<void>;
}

/** The in-process app (its own database on the run's PostgreSQL) with Alice and Bob in a room. */
export async function startMediaRig(rtcMinPort: number): Promise<MediaRig> {
  const app = await startApp({
    CONVENE_MEDIA_WORKERS: '1',
    CONVENE_RTC_LISTEN_IP: '127.0.0.1',
    CONVENE_RTC_MIN_PORT: String(rtcMinPort),
    CONVENE_RTC_MAX_PORT: String(rtcMinPort + 19),
    CONVENE_ROOM_GRACE_SECONDS: '0',
  });
  const rooms = new RoomFixture(() => app.url);
  const room = await rooms.create({ name: 'Media' });
  const alice = await room.join('Alice');
  const bob = await room.join('Bob');
  return {
    app,
    rooms,
    alice,
    bob,
    async close() {
      rooms.closeAll();
      await app.close();
    },
  };
}

/** The pids of a process's children (a convene node's mediasoup workers). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILLs the worker under the media room (audio flowing) and the worker of `chatNode`; measures
 * until the room was told to rebuild, the router was rebuilt on a new worker, and audio flowed
 * again through a rebuilt producer/consumer pair; and until `chatNode` had a new worker.
 */
export async function mediaWorkerKilled(
  rig: MediaRig,
  chatNode: ClusterNode,
  load: ChatLoad,
): Promise<FaultResult> {
  const admin = new Admin(rig.app.url);
  const roomId = rig.alice.roomId;
  const pairs: AudioPair[] = [];
  try {
    const first = await audioPair(rig.app, rig.alice, rig.bob);
    pairs.push(first);
    await eventually(() => first.received() > 20, 'audio before the kill');
    const victim = (await roomMedia(admin, roomId)).router?.workerPid;
    const nodePid = chatNode.process?.pid ?? 0;
    const [nodeWorker] = childrenOf(nodePid);
    if (!victim || !nodeWorker) throw new Error('no worker to kill');

    load.phase = 'media-worker-killed';
    const restarts = Promise.all(
      [rig.alice, rig.bob].map((p) => p.client.waitFor('media:restart', undefined, 10_000)),
    );
    const t0 = performance.now();
    process.kill(victim, 'SIGKILL');
    process.kill(nodeWorker, 'SIGKILL');
    await restarts;
    const toldMs = performance.now() - t0;
    const rebuilt = await eventually(async () => {
      const router = (await roomMedia(admin, roomId)).router;
      return router && router.workerPid !== victim ? router : undefined;
    }, 'router rebuilt on a new worker');
    const rebuiltMs = performance.now() - t0;
    await first.stop();
    const again = await audioPair(rig.app, rig.alice, rig.bob);
    pairs.push(again);
    await eventually(() => again.received() > 50, 'audio after the rebuild', 20_000);
    const flowingMs = performance.now() - t0;
    const bytesAfter = again.bytes();
    const nodeWorkerBack = await eventually(
      () => childrenOf(nodePid).find((pid) => pid !== nodeWorker),
      'a new worker on the chat node',
    );
    const nodeWorkerMs = performance.now() - t0;
    await sleep(1000);
    load.phase = 'media-worker-killed/after';
    const recovery = await recovered(load, performance.now());
    load.phase = 'between';
    const during = load.stats('media-worker-killed');
    const passed = rebuilt.workerPid !== victim && again.received() > 50 && nodeWorkerBack > 0;
    const round = (v: number) => Math.round(v);
    return {
      name: 'A mediasoup worker SIGKILLed',
      phase: 'media-worker-killed',
      passed,
      outcome:
        `Both participants were told to rebuild after ${round(toldMs)} ms; the room's router was ` +
        `on a new worker after ${round(rebuiltMs)} ms; a rebuilt producer/consumer pair carried ` +
        `audio again after ${round(flowingMs)} ms (${again.received()} RTP packets, ${bytesAfter} bytes ` +
        `received). The chat node's worker was replaced after ${round(nodeWorkerMs)} ms; chat ` +
        `meanwhile: ${during.ok} of ${during.sends} sends acknowledged.`,
      durationMs: round(flowingMs),
      recovery: { firstOkMs: recovery.firstOkMs, allOkMs: recovery.allOkMs },
      recoveryText:
        `Recovery (from the kill): media flowing again after ${round(flowingMs)} ms; ` +
        `chat was never interrupted.`,
      during,
      after: load.stats('media-worker-killed/after'),
      figures: {
        toldMs: round(toldMs),
        rebuiltMs: round(rebuiltMs),
        flowingMs: round(flowingMs),
        packetsAfter: again.received(),
        bytesAfter,
        nodeWorkerMs: round(nodeWorkerMs),
        chatAllOkMs: recovery.allOkMs,
      },
    };
  } finally {
    await Promise.all(pairs.map((p) => p.stop()));
  }
}
