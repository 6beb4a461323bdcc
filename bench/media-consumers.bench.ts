/**
 * Consumers one mediasoup worker carries with real RTP before its CPU reaches 80%, against
 * mediasoup's documented figure: "a mediasoup C++ subprocess can typically handle over ~500
 * consumers in total" (https://mediasoup.org/documentation/v3/scalability; for one broadcaster,
 * the page says 400-600 consumers "could" exceed a router).
 *
 * The worker is convene's own: WorkerPool (the project's worker binary, createWorker settings and
 * WebRtcServer), one worker, a router with ROUTER_MEDIA_CODECS and the rooms' active-speaker
 * observer. Transports, producers and consumers are made with mediasoup's API on that router, not
 * through MediaService: the worker's load is per packet and per consumer, and the service's
 * signalling, per-participant limits and spreading of a room over workers would only get in the
 * way of loading one worker.
 *
 * ffmpeg (test/support/media.ts RtpSender) sends VP8 (testsrc2) and opus over plain RTP into two
 * PlainTransport producers; consumers, in audio+video pairs, sit on PlainTransports that send RTP
 * to UDP sinks (bench/media-rig.ts). Their number is stepped up; at each step, after a settle time
 * (a video consumer forwards from the next keyframe, one a second), the bench takes over a hold
 * time the worker process's CPU from /proc and the loss. Loss is read at the sink, by sequence
 * numbers, on the first transport's consumers (RtpSink reads each of their packets), so it
 * includes what was lost between ffmpeg and the worker. The other consumers send to a UdpCounter
 * socket that nothing reads, whose kernel drop counter counts what arrives: a Node process reading
 * 200k packets/s would take the second core from ffmpeg and the worker.
 */
import { type BenchModule, type BenchResult, compared } from './result.js';
import { MediaRig, type Step } from './media-rig.js';

const BENCH = 'media-consumers';
const STEPS = (
  process.env.BENCH_MEDIA_STEPS ?? '50,100,200,300,400,600,800,1000,1300,1600,2000,2500,3000,3700'
)
  .split(',')
  .map(Number);
const CPU_LIMIT = Number(process.env.BENCH_MEDIA_CPU_LIMIT ?? 80);
const HOLD_S = Number(process.env.BENCH_MEDIA_HOLD_SECONDS ?? 3);
const SETTLE_S = Number(process.env.BENCH_MEDIA_SETTLE_SECONDS ?? 2);
/** The whole benchmark stops stepping when the next step would end after this. */
const BUDGET_S = Number(process.env.BENCH_MEDIA_SECONDS ?? 110);
/**
 * Each consumer transport takes two ports of the worker's range (CONVENE_RTC_MIN_PORT..MAX_PORT,
 * RTP and RTCP), so consumers share transports to reach thousands: 80 each, a participant
 * receiving forty people's audio and video. What the worker does per packet is per consumer
 * (rewrite, keep for retransmission, one sendto), whichever transport it is on: 20 and 80 per
 * transport measured the same CPU per packet (3.05 and 3.10 µs at 900 consumers, one run each).
 */
const PER_TRANSPORT = Number(process.env.BENCH_MEDIA_CONSUMERS_PER_TRANSPORT ?? 80);
const VIDEO = {
  pattern: 'testsrc2',
  size: process.env.BENCH_MEDIA_VIDEO_SIZE ?? '640x360',
  kbps: Number(process.env.BENCH_MEDIA_VIDEO_KBPS ?? 800),
} as const;
/** A step losing more than this (at the sink, by sequence numbers) ends the stepping. */
const MAX_LOSS = Number(process.env.BENCH_MEDIA_MAX_LOSS_PERCENT ?? 5);
/** The loss a consumer count must stay within to count as carried. */
const CARRIED_LOSS = 1;
/** mediasoup's scalability page: "over ~500 consumers in total" per worker. */
const DOCUMENTED = 500;

const percent = (part: number, whole: number) => (whole === 0 ? NaN : (part / whole) * 100);
/** What never reached the sink: lost between ffmpeg and the worker, or not sent by it. */
const lost = (s: Step) => s.sample.sent - s.sample.received - s.sample.sinkDrops;
const lossPercent = (s: Step) => percent(lost(s), s.sample.sent);
const outRate = (s: Step) => Math.round(s.all.forwarded / s.seconds);

/** Consumers at `limit`% CPU: linear between the last step under it and the first at or over it. */
function atLimit(steps: Step[], limit: number): { consumers: number; reached: boolean } {
  const over = steps.findIndex((s) => s.cpuPercent >= limit);
  if (over < 0) return { consumers: steps.at(-1)?.consumers ?? 0, reached: false };
  if (over === 0) {
    const s = steps[0];
    return { consumers: (s.consumers * limit) / s.cpuPercent, reached: true };
  }
  const [a, b] = [steps[over - 1], steps[over]];
  const t = (limit - a.cpuPercent) / (b.cpuPercent - a.cpuPercent);
  return { consumers: a.consumers + t * (b.consumers - a.consumers), reached: true };
}

/**
 * What the measured cost per packet predicts for `limit`% CPU, at the packets per consumer this
 * stream has: steps under 10% CPU are left out (ticks of 10 ms make their figure coarse).
 */
function projected(steps: Step[], limit: number): { consumers: number; microsPerPacket: number } {
  const usable = steps.filter((s) => s.cpuPercent >= 10);
  if (usable.length === 0) return { consumers: NaN, microsPerPacket: NaN };
  const cpuPerPacket = usable.map((s) => s.cpuPercent / 100 / outRate(s)).sort((a, b) => a - b);
  const median = cpuPerPacket[Math.floor(cpuPerPacket.length / 2)];
  const last = usable.at(-1) as Step;
  const perConsumer = outRate(last) / last.consumers;
  return { consumers: limit / 100 / (median * perConsumer), microsPerPacket: median * 1e6 };
}

function describeStep(s: Step): string {
  return (
    `${s.consumers} consumers: worker CPU ${s.cpuPercent.toFixed(1)}%, ${outRate(s)} RTP pkt/s out, ` +
    `loss ${lossPercent(s).toFixed(2)}% (ingest ${percent(s.ingest.lost, s.ingest.sent).toFixed(2)}%, ` +
    `sink socket drops ${s.sample.sinkDrops}), ` +
    `arrived/forwarded ${(s.all.arrived / s.all.forwarded).toFixed(3)}, video ${s.videoKbps.toFixed(0)} kbps, ` +
    `ffmpeg ${s.ffmpegCpuPercent.toFixed(0)}%, machine ${s.machineBusyPercent.toFixed(0)}% busy`
  );
}

/** Steps the consumers up until the worker reaches CPU_LIMIT, the last step, the ports or the budget. */
async function stepUp(
  rig: MediaRig,
  elapsed: () => number,
): Promise<{ steps: Step[]; stopped: string }> {
  const steps: Step[] = [];
  if (!(await rig.flowing(10))) throw new Error('no RTP from ffmpeg after 10 s');
  await sleep(1); // one keyframe interval
  for (const target of STEPS) {
    if (elapsed() + SETTLE_S + HOLD_S + 2 > BUDGET_S)
      return { steps, stopped: `time budget (${BUDGET_S} s) reached before ${target} consumers` };
    if (!(await rig.grow(target)))
      return {
        steps,
        stopped: `the port range leaves room for ${rig.maxTransports} transports, too few for ${target} consumers`,
      };
    await sleep(SETTLE_S);
    const step = await rig.measure(HOLD_S);
    steps.push(step);
    console.log(`  ${describeStep(step)}`);
    if (step.sample.silent === step.sample.consumers)
      throw new Error(`none of the ${step.sample.consumers} checked consumers sent anything`);
    if (step.cpuPercent >= CPU_LIMIT) return { steps, stopped: '' };
    if (lossPercent(step) > MAX_LOSS)
      return { steps, stopped: `loss over ${MAX_LOSS}% at ${step.consumers} consumers` };
  }
  return { steps, stopped: 'the step list ends there' };
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

async function run(): Promise<BenchResult[]> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const rig = await MediaRig.start({ perTransport: PER_TRANSPORT, video: VIDEO });
  let outcome: { steps: Step[]; stopped: string };
  try {
    outcome = await stepUp(rig, elapsed);
  } finally {
    await rig.stop();
  }
  const { steps, stopped } = outcome;
  if (stopped) console.log(`  stopped: ${stopped}`);
  if (steps.length === 0) throw new Error('no step measured');
  const limit = atLimit(steps, CPU_LIMIT);
  const last = steps.at(-1) as Step;
  const carried = steps.filter((s) => lossPercent(s) <= CARRIED_LOSS).at(-1);
  const cost = projected(steps, CPU_LIMIT);
  const projection = Number.isNaN(cost.consumers)
    ? 'no step over 10% CPU to project from'
    : `${cost.microsPerPacket.toFixed(2)} µs of worker CPU per packet out (median) projects ${cost.consumers.toFixed(0)} consumers at ${CPU_LIMIT}%`;
  const kbps = steps.reduce((sum, s) => sum + s.videoKbps, 0) / steps.length;
  const setting =
    `ffmpeg VP8 ${VIDEO.size} at ${VIDEO.kbps} kbps (${kbps.toFixed(0)} kbps measured) + opus 64 kbps, ` +
    `consumers in audio+video pairs, ${PER_TRANSPORT} per PlainTransport`;
  const results: BenchResult[] = [
    compared(
      BENCH,
      `consumers per worker at ${CPU_LIMIT}% CPU`,
      'consumers',
      limit.consumers,
      { name: 'mediasoup docs, ~500 per worker', value: DOCUMENTED },
      limit.reached
        ? `interpolated between steps; ${projection}; ${setting}`
        : `${CPU_LIMIT}% not reached (${stopped}): ${last.cpuPercent.toFixed(1)}% at ${last.consumers}, the last step; ${projection}; ${setting}`,
    ),
    compared(
      BENCH,
      `consumers per worker with loss under ${CARRIED_LOSS}%`,
      'consumers',
      carried?.consumers ?? 0,
      { name: 'mediasoup docs, ~500 per worker', value: DOCUMENTED },
      carried
        ? `the largest step losing ${CARRIED_LOSS}% or less: ${lossPercent(carried).toFixed(2)}% at ${carried.cpuPercent.toFixed(1)}% worker CPU` +
            (carried === last
              ? ` (the last step measured: ${stopped || `${CPU_LIMIT}% CPU reached`})`
              : '')
        : `every step lost more than ${CARRIED_LOSS}%`,
    ),
  ];
  for (const s of steps) {
    results.push(
      {
        bench: BENCH,
        name: `${s.consumers} consumers: worker CPU`,
        unit: '%',
        value: s.cpuPercent,
        notes:
          `${outRate(s)} RTP packets/s out, ${((s.cpuPercent * 1e4) / outRate(s)).toFixed(2)} µs of worker CPU each; ` +
          `ffmpeg ${s.ffmpegCpuPercent.toFixed(0)}%, machine ${s.machineBusyPercent.toFixed(0)}% busy`,
      },
      {
        bench: BENCH,
        name: `${s.consumers} consumers: packet loss`,
        unit: '%',
        value: lossPercent(s),
        notes:
          `${lost(s)} of ${s.sample.sent} RTP packets of ${s.sample.consumers} consumers read at the sink over ${s.seconds.toFixed(1)} s` +
          (s.sample.silent
            ? ` (${s.sample.silent} of them, waiting for a keyframe, sent nothing)`
            : '') +
          `, ${s.sample.sinkDrops} more dropped by the reading sink's own socket; ` +
          `ffmpeg to worker ${percent(s.ingest.lost, s.ingest.sent).toFixed(2)}%; ` +
          `all consumers: ${(s.all.arrived / s.all.forwarded).toFixed(3)} of the producers' packets times consumers arrived`,
      },
    );
  }
  return results;
}

export const mediaConsumersBench: BenchModule = {
  name: BENCH,
  describe: `consumers one mediasoup worker (convene's WorkerPool) forwards real RTP from ffmpeg to, stepped up until its CPU reaches ${CPU_LIMIT}%, with packet loss at each step, against mediasoup's documented ~500 per worker`,
  run,
};
