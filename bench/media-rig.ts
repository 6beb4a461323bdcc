import { readFileSync } from 'node:fs';
import type { types } from 'mediasoup';
import { appConfig, mediaConfig } from '../src/config/configuration.js';
import { ROUTER_MEDIA_CODECS } from '../src/media/media-codecs.js';
import { SPEAKER_OBSERVER_OPTIONS } from '../src/media/room-routers.js';
import { WorkerPool } from '../src/media/worker-pool.js';
import {
  opusRtpParameters,
  RtpSender,
  RtpSink,
  type VideoSettings,
  vp8RtpParameters,
} from '../test/support/media.js';
import { cpuMs } from './cpu.js';
import { UdpCounter, udpDrops } from './udp-counter.js';

/** What one step of media-consumers measured over its hold time. */
export interface Step {
  consumers: number;
  seconds: number;
  /** Of one core, as mediasoup's figure means: a worker is one single-threaded process. */
  cpuPercent: number;
  ffmpegCpuPercent: number;
  /** Both cores, everything on the machine (other work included). */
  machineBusyPercent: number;
  /**
   * The first transport's consumers, read packet by packet: sent (by sequence numbers), received,
   * and dropped by the reading sink's own socket (the bench process was too slow to read).
   */
  sample: { consumers: number; sent: number; received: number; sinkDrops: number; silent: number };
  /** ffmpeg to the producers: packets sent (by sequence numbers) and lost on the way. */
  ingest: { sent: number; lost: number };
  /** Every consumer: what the producers received times the consumers, what the sinks got. */
  all: { forwarded: number; arrived: number };
  videoKbps: number;
}

interface ProducerCounts {
  packets: number;
  lost: number;
  bytes: number;
}

async function countsOf(producer: types.Producer): Promise<ProducerCounts> {
  const stats = await producer.getStats();
  const sum = (pick: (s: types.ProducerStat) => number) =>
    stats.reduce((total, s) => total + pick(s), 0);
  return {
    packets: sum((s) => s.packetCount),
    lost: sum((s) => s.packetsLost),
    bytes: sum((s) => s.byteCount),
  };
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // idle and iowait are fields 4 and 5 of the `cpu` line.
  return { busy: total - ticks[3] - ticks[4], total };
}

interface Sinks {
  /** Reads every packet of the first transport, by SSRC. */
  checked: RtpSink;
  /** Socket 0 counts the other transports' RTP, socket 1 takes every transport's RTCP. */
  counter: UdpCounter;
}

/** The reading sink's receive buffer, so that a moment without CPU for the bench loses nothing. */
const SINK_BUFFER_BYTES = 4 * 2 ** 20;

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * One worker of convene's pool (WorkerPool: the project's worker binary and settings, its
 * WebRtcServer) with a router as rooms have (ROUTER_MEDIA_CODECS, the active-speaker observer),
 * ffmpeg producing opus and VP8 into it, and consumers in audio+video pairs on PlainTransports
 * that send to the sinks. RTCP goes to a socket of its own (rtcpMux off): only RTP is counted.
 */
export class MediaRig {
  private readonly transports: types.PlainTransport[] = [];
  private readonly kinds = { audio: 0, video: 0 };
  /** SSRCs of the first transport's consumers (the ones RtpSink reads). */
  private readonly checkedSsrcs: number[] = [];
  /** Consumers on the newest transport. */
  private onLast = 0;
  /** Consumer transports the worker's port range leaves room for. */
  readonly maxTransports: number;

  private constructor(
    private readonly pool: WorkerPool,
    private readonly workerPid: number,
    private readonly router: types.Router,
    private readonly producers: { audio: types.Producer; video: types.Producer },
    private readonly sinks: Sinks,
    private readonly sender: RtpSender,
    private readonly perTransport: number,
    ports: number,
  ) {
    // The WebRtcServer takes one port of the range, the two ingest transports two each.
    this.maxTransports = Math.floor((ports - 5) / 2);
  }

  static async start(options: { perTransport: number; video: VideoSettings }): Promise<MediaRig> {
    const config = {
      ...mediaConfig(),
      workers: 1,
      listenIp: '127.0.0.1',
      announcedAddress: undefined,
    };
    const pool = new WorkerPool(config, appConfig());
    await pool.onModuleInit();
    const sinks: Partial<Sinks> = {};
    try {
      const { worker } = await pool.leastLoaded();
      const router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
      const speakers = await router.createAudioLevelObserver(SPEAKER_OBSERVER_OPTIONS);
      // Ingest as convene's plain-RTP tests do: comedia, RTCP on its own port (ffmpeg's way).
      const ingest = () =>
        router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
      const [audioIn, videoIn] = [await ingest(), await ingest()];
      const audio = await audioIn.produce({ kind: 'audio', rtpParameters: opusRtpParameters() });
      const video = await videoIn.produce({ kind: 'video', rtpParameters: vp8RtpParameters() });
      await speakers.addProducer({ producerId: audio.id });
      sinks.checked = await RtpSink.open(SINK_BUFFER_BYTES);
      sinks.counter = await UdpCounter.start(2);
      const target = (t: types.PlainTransport) => ({
        port: t.tuple.localPort,
        rtcpPort: t.rtcpTuple?.localPort,
      });
      const sender = RtpSender.start(
        { audio: target(audioIn), video: target(videoIn) },
        {},
        options.video,
      );
      return new MediaRig(
        pool,
        worker.pid,
        router,
        { audio, video },
        sinks as Sinks,
        sender,
        options.perTransport,
        config.rtcMaxPort - config.rtcMinPort + 1,
      );
    } catch (error) {
      sinks.checked?.close();
      await sinks.counter?.stop();
      await pool.onApplicationShutdown();
      throw error;
    }
  }

  get consumers(): number {
    return this.kinds.audio + this.kinds.video;
  }

  /** Resolves once ffmpeg's audio and video reach the producers; false after `seconds`. */
  async flowing(seconds: number): Promise<boolean> {
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      const [audio, video] = await Promise.all([
        countsOf(this.producers.audio),
        countsOf(this.producers.video),
      ]);
      if (audio.packets > 0 && video.packets > 0) return true;
      await sleep(0.2);
    }
    return false;
  }

  /** Adds audio+video consumer pairs until there are `total` consumers; false if out of ports. */
  async grow(total: number): Promise<boolean> {
    const rtpCapabilities = this.router.rtpCapabilities;
    const [rtp, rtcp] = this.sinks.counter.ports;
    while (this.consumers < total) {
      let transport = this.transports.at(-1);
      if (!transport || this.onLast + 2 > this.perTransport) {
        if (this.transports.length >= this.maxTransports) return false;
        transport = await this.router.createPlainTransport({
          listenIp: '127.0.0.1',
          rtcpMux: false,
        });
        const port = this.transports.length === 0 ? this.sinks.checked.port : rtp;
        await transport.connect({ ip: '127.0.0.1', port, rtcpPort: rtcp });
        this.transports.push(transport);
        this.onLast = 0;
      }
      for (const producer of [this.producers.audio, this.producers.video]) {
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities });
        const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
        if (ssrc === undefined) throw new Error('a consumer without an SSRC');
        if (this.transports.length === 1) this.checkedSsrcs.push(ssrc);
        this.kinds[consumer.kind]++;
      }
      this.onLast += 2;
    }
    return true;
  }

  /**
   * Everything at one moment. The worker answers the stats requests between packets, after the
   * burst it is forwarding (a keyframe to a thousand consumers takes it a while); the counter is
   * read as soon as the answers are in, so it holds what the worker had sent when it answered,
   * give or take the packets of that instant. RtpSink's figures need no such care: its sequence
   * numbers and counts come from the same packets.
   */
  private async snapshot() {
    const [audio, video] = await Promise.all([
      countsOf(this.producers.audio),
      countsOf(this.producers.video),
    ]);
    const counted = this.sinks.counter.arrived(this.sinks.counter.ports[0]);
    const sinkDrops = udpDrops(this.sinks.checked.port);
    const streams = this.checkedSsrcs.map((ssrc) => this.sinks.checked.packets.get(ssrc));
    return {
      audio,
      video,
      counted,
      sinkDrops,
      streams: streams.map((s) => ({ count: s?.count ?? 0, seq: s?.highestSeq ?? 0 })),
      worker: cpuMs(this.workerPid),
      ffmpeg: cpuMs(this.sender.pid),
      machine: machineTicks(),
      at: performance.now(),
    };
  }

  /** Holds the current consumers for `seconds` and measures the worker over that time. */
  async measure(seconds: number): Promise<Step> {
    const a = await this.snapshot();
    await sleep(seconds);
    const b = await this.snapshot();
    const ms = b.at - a.at;
    // A stream with nothing yet at the start (a video consumer still waiting for a keyframe)
    // has no sequence number to count from: it counts as silent only if nothing came at all.
    const streams = b.streams.map((s, i) =>
      a.streams[i].count === 0
        ? { received: 0, sent: 0, silent: s.count === 0 }
        : { received: s.count - a.streams[i].count, sent: s.seq - a.streams[i].seq, silent: false },
    );
    const sampleReceived = streams.reduce((sum, s) => sum + s.received, 0);
    const delta = (pick: (p: ProducerCounts) => number) => ({
      audio: pick(b.audio) - pick(a.audio),
      video: pick(b.video) - pick(a.video),
    });
    const packets = delta((p) => p.packets);
    const lost = delta((p) => p.lost);
    return {
      consumers: this.consumers,
      seconds: ms / 1000,
      cpuPercent: ((b.worker - a.worker) / ms) * 100,
      ffmpegCpuPercent: ((b.ffmpeg - a.ffmpeg) / ms) * 100,
      machineBusyPercent:
        ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100,
      sample: {
        consumers: streams.length,
        sent: streams.reduce((sum, s) => sum + s.sent, 0),
        received: sampleReceived,
        sinkDrops: b.sinkDrops - a.sinkDrops,
        silent: streams.filter((s) => s.silent || s.sent === 0).length,
      },
      ingest: {
        sent: packets.audio + packets.video + lost.audio + lost.video,
        lost: lost.audio + lost.video,
      },
      all: {
        forwarded: packets.audio * this.kinds.audio + packets.video * this.kinds.video,
        arrived: sampleReceived + b.counted - a.counted,
      },
      videoKbps: ((b.video.bytes - a.video.bytes) * 8) / ms,
    };
  }

  /** ffmpeg first, then the worker (WorkerPool closes its routers before it), then the sinks. */
  async stop(): Promise<void> {
    await this.sender.stop();
    await this.pool.onApplicationShutdown();
    this.sinks.checked.close();
    await this.sinks.counter.stop();
  }
}
