import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type {
  ConsumerOptions,
  RoomMediaStats,
  TransportDirection,
} from '../../src/protocol/events.js';
import type { MediaCaller } from '../../src/media/media.service.js';
import { MediaService } from '../../src/media/media.service.js';
import { WorkerPool } from '../../src/media/worker-pool.js';
import type { Admin } from './admin.js';
import type { TestApp } from './app.js';
import type { TestClient } from './sockets.js';

/** Environment for apps in media tests: loopback only, a port range of their own, no router grace. */
export const MEDIA_TEST_ENV = {
  CONVENE_MEDIA_WORKERS: '2',
  CONVENE_RTC_LISTEN_IP: '127.0.0.1',
  CONVENE_RTC_MIN_PORT: '41000',
  CONVENE_RTC_MAX_PORT: '41199',
  CONVENE_ROOM_GRACE_SECONDS: '0',
  CONVENE_GUEST_AUDIO_ONLY: 'true',
};

export const OPUS = { payloadType: 100, ssrc: 11111111 };
export const VP8 = { payloadType: 101, ssrc: 22222222 };

/** What a sender announces for the streams `RtpSender` produces (opus stereo, VP8). */
export const opusRtpParameters = (ssrc = OPUS.ssrc) => ({
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: OPUS.payloadType,
      clockRate: 48000,
      channels: 2,
      parameters: { 'sprop-stereo': 1 },
    },
  ],
  encodings: [{ ssrc }],
});
export const vp8RtpParameters = (ssrc = VP8.ssrc) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: VP8.payloadType, clockRate: 90000 }],
  encodings: [{ ssrc }],
});

/** The server-side identity of a connected test client, for MediaService's internal (plain RTP) methods. */
export function callerOf(
  client: TestClient,
  identity: { roomId: string; participantId: string; role?: MediaCaller['role'] },
): MediaCaller {
  if (!client.socket.id) throw new Error('client not connected');
  return {
    roomId: identity.roomId,
    participantId: identity.participantId,
    role: identity.role ?? 'participant',
    socketId: client.socket.id,
  };
}

export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
  rtcpPort: number | undefined;
}

/**
 * A plain RTP transport owned by the client's participant, made on the room's router through
 * MediaService's seam for server-side transports. Ingest ones (no `remote`) learn the sender's
 * address from its first packet (comedia) and keep RTCP on its own port, because ffmpeg sends
 * RTP and RTCP from two different source ports; `remote` connects it (consumers send there).
 */
export async function plainTransport(
  t: TestApp,
  caller: MediaCaller,
  direction: TransportDirection,
  remote?: { ip: string; port: number },
): Promise<PlainTransportInfo> {
  const pool = t.app.get(WorkerPool);
  const transport = await t.app
    .get(MediaService)
    .serverTransport(caller, direction, (router, appData) =>
      router.createPlainTransport({
        listenIp: { ip: pool.listenIp, announcedIp: pool.announcedIp },
        rtcpMux: remote !== undefined,
        comedia: remote === undefined,
        appData,
      }),
    );
  if (remote) await transport.connect(remote);
  return {
    id: transport.id,
    ip: transport.tuple.localIp,
    port: transport.tuple.localPort,
    rtcpPort: transport.rtcpTuple?.localPort,
  };
}

export type RtpTarget = { port: number; rtcpPort?: number };
const rtpUrl = (target: RtpTarget) =>
  `rtp://127.0.0.1:${target.port}?rtcpport=${target.rtcpPort ?? target.port}&pkt_size=1200`;

/** The VP8 stream `RtpSender` encodes: ffmpeg's `testsrc` at 320x240, 400 kbps unless told otherwise. */
export interface VideoSettings {
  /** `testsrc2` has more detail and motion, so the encoder spends the bitrate it is given. */
  pattern?: 'testsrc' | 'testsrc2';
  size?: string;
  kbps?: number;
}

/**
 * A real RTP sender: Debian's ffmpeg encoding a 440 Hz tone to opus and a test pattern to VP8
 * (a keyframe every second), each stream to its own UDP port, RTCP muxed.
 */
export class RtpSender {
  private constructor(private readonly child: ChildProcess) {}

  static start(
    target: { audio?: RtpTarget; video?: RtpTarget },
    ssrc: { audio?: number; video?: number } = {},
    video: VideoSettings = {},
  ): RtpSender {
    const inputs: string[] = [];
    const outputs: string[] = [];
    if (target.audio) {
      inputs.push('-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
      outputs.push(`-map ${inputs.length / 5 - 1}:a -c:a libopus -b:a 64k -ac 2 -ar 48000`);
      outputs.push(
        `-payload_type ${OPUS.payloadType} -ssrc ${ssrc.audio ?? OPUS.ssrc} -f rtp ${rtpUrl(target.audio)}`,
      );
    }
    if (target.video) {
      inputs.push(
        '-re',
        '-f',
        'lavfi',
        '-i',
        `${video.pattern ?? 'testsrc'}=size=${video.size ?? '320x240'}:rate=30`,
      );
      outputs.push(
        `-map ${inputs.length / 5 - 1}:v -c:v libvpx -b:v ${video.kbps ?? 400}k -deadline realtime -cpu-used 8 -g 30`,
      );
      outputs.push(
        `-payload_type ${VP8.payloadType} -ssrc ${ssrc.video ?? VP8.ssrc} -f rtp ${rtpUrl(target.video)}`,
      );
    }
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      ...inputs,
      ...outputs.join(' ').split(' '),
    ];
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (process.env.TEST_FFMPEG_LOG) process.stderr.write(chunk);
    });
    return new RtpSender(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

/** What an `RtpSink` got from one SSRC. */
export interface SinkStream {
  count: number;
  bytes: number;
  payloadTypes: Set<number>;
  /** The highest sequence number so far, extended over wrap-arounds (RFC 3550 A.1). */
  highestSeq: number;
}

/**
 * A UDP socket that counts the RTP packets (by SSRC) a consumer's plain transport sends it; with
 * the highest sequence number, a window's `highestSeq` difference is what was sent in it, so the
 * count's difference says what was lost.
 */
export class RtpSink {
  readonly packets = new Map<number, SinkStream>();

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg) => {
      // RTP version 2, not RTCP (second byte 192-223, RFC 5761).
      if (msg.length < 12 || msg[0] >> 6 !== 2 || (msg[1] >= 192 && msg[1] <= 223)) return;
      const pt = msg[1] & 0x7f;
      const seq = msg.readUInt16BE(2);
      const ssrc = msg.readUInt32BE(8);
      let entry = this.packets.get(ssrc);
      if (!entry) {
        entry = { count: 0, bytes: 0, payloadTypes: new Set<number>(), highestSeq: seq };
        this.packets.set(ssrc, entry);
      }
      entry.count++;
      entry.bytes += msg.length;
      entry.payloadTypes.add(pt);
      // Forward by less than half the space (wrapping at 2^16) counts as newer.
      const delta = (seq - (entry.highestSeq & 0xffff) + 0x10000) & 0xffff;
      if (delta > 0 && delta < 0x8000) entry.highestSeq += delta;
    });
  }

  /** `recvBufferSize` (bytes) for a sink many consumers send to, so bursts are not dropped. */
  static async open(recvBufferSize?: number): Promise<RtpSink> {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RtpSink(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  count(ssrc: number): number {
    return this.packets.get(ssrc)?.count ?? 0;
  }

  close(): void {
    this.socket.close();
  }
}

/** Consumes a producer on a client's receive transport and resumes it, as a real client would. */
export async function consumeAndResume(
  client: TestClient,
  transportId: string,
  producerId: string,
  rtpCapabilities: unknown,
): Promise<ConsumerOptions> {
  const ack = await client.request('media:consume', { transportId, producerId, rtpCapabilities });
  if (!ack.ok) throw new Error(`consume failed: ${ack.error.code} ${ack.error.message}`);
  const resumed = await client.request('media:resumeConsumer', { consumerId: ack.consumer.id });
  if (!resumed.ok) throw new Error(`resume failed: ${resumed.error.code}`);
  return ack.consumer;
}

export async function routerCapabilities(client: TestClient): Promise<unknown> {
  const ack = await client.request('media:getRouterRtpCapabilities', {});
  if (!ack.ok) throw new Error(`capabilities failed: ${ack.error.code} ${ack.error.message}`);
  return ack.rtpCapabilities;
}

export async function roomMedia(admin: Admin, roomId: string): Promise<RoomMediaStats> {
  return (await admin.get(`/api/v1/rooms/${roomId}/media`).expect(200)).body as RoomMediaStats;
}

export { eventually } from './eventually.js';

/** The SSRC a consumer sends with (what the receiving side sees on the wire). */
export const ssrcOf = (consumer: ConsumerOptions) =>
  (consumer.rtpParameters as { encodings: { ssrc: number }[] }).encodings[0].ssrc;

/** An RTP sender into `from`'s producer, and a sink receiving what `to` consumes of it. */
export interface AudioPair {
  producerId: string;
  consumer: ConsumerOptions;
  sink: RtpSink;
  sender: RtpSender;
  /** RTP packets of the consumer's stream the sink has received so far. */
  received(): number;
  /** Their bytes. */
  bytes(): number;
  /** Stops the sender and closes the sink (once; again does nothing). */
  stop(): Promise<void>;
}

type Member = { client: TestClient; roomId: string; participantId: string };

/**
 * `from` produces opus from a real ffmpeg sender into a plain transport it owns; `to` consumes it
 * on a plain transport pointed at a UDP sink, as a client does after joining (or after
 * media:restart, to rebuild).
 */
export async function audioPair(t: TestApp, from: Member, to: Member): Promise<AudioPair> {
  const caps = await routerCapabilities(to.client);
  const audioIn = await plainTransport(t, callerOf(from.client, from), 'send');
  const produced = await from.client.request('media:produce', {
    transportId: audioIn.id,
    kind: 'audio',
    rtpParameters: opusRtpParameters(),
  });
  if (!produced.ok) throw new Error(`produce failed: ${produced.error.code}`);
  const sink = await RtpSink.open();
  const out = await plainTransport(t, callerOf(to.client, to), 'recv', {
    ip: '127.0.0.1',
    port: sink.port,
  });
  const consumer = await consumeAndResume(to.client, out.id, produced.producerId, caps);
  const sender = RtpSender.start({ audio: audioIn });
  const ssrc = ssrcOf(consumer);
  let open = true;
  return {
    producerId: produced.producerId,
    consumer,
    sink,
    sender,
    received: () => sink.count(ssrc),
    bytes: () => sink.packets.get(ssrc)?.bytes ?? 0,
    async stop() {
      await sender.stop();
      if (open) sink.close();
      open = false;
    },
  };
}
