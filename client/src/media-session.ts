import { Device, type types } from 'mediasoup-client';
import type {
  IceServer,
  MediaKind,
  MediaSource,
  ProducerInfo,
  TransportDirection,
  TransportOptions,
} from '../../src/protocol/events.js';
import type { Connection } from './connection.js';
import { ServerError } from './errors.js';
import { spatialLayersOf } from './ui/stage-layout.js';
import {
  shareTileKey,
  type StageView,
  VideoDemand,
  type VideoDemandState,
} from './video-demand.js';
import { isShareSource } from '../../src/protocol/screen-share.js';

export interface RemoteTrack {
  participantId: string;
  producerId: string;
  kind: MediaKind;
  source: MediaSource;
  track: MediaStreamTrack;
  paused: boolean;
}

export interface MediaSessionEvents {
  remoteTrack(track: RemoteTrack): void;
  remoteTrackEnded(producerId: string): void;
  /** A transport failed (network change, server restart): the owner should rebuild. */
  failed(reason: string): void;
}

export interface MediaSessionOptions {
  /** Only relayed (TURN) candidates: `#relay=1`, to test or debug a TURN setup. */
  relay?: boolean;
}

/** One transport as the browser sees it: its id and the candidate pair ICE selected. */
export interface TransportInfo {
  direction: TransportDirection;
  id: string;
  /** host, srflx, prflx or relay; undefined until a pair is selected. */
  localCandidateType?: string;
  remoteCandidateType?: string;
}

export interface InboundStats {
  kind: string;
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
}

/**
 * The SFU side of a session over mediasoup-client: one send and one receive transport, a
 * producer per local track and a consumer per remote producer. Built after each (re)join and
 * thrown away as a whole on failure; the server drops its side when the connection goes.
 */
export class MediaSession {
  private readonly device = new Device();
  private send?: types.Transport;
  private sendStarting?: Promise<types.Transport>;
  private recv?: types.Transport;
  private readonly producers = new Map<MediaKind, types.Producer>();
  /** The screen share's producers (picture, and sound where the browser shares it). */
  private readonly shares: types.Producer[] = [];
  private readonly consumers = new Map<string, types.Consumer>();
  private readonly wanted = new Set<string>();
  private readonly demand: VideoDemand;
  /** Kinds whose producer is being created (a second produce of the same kind would duplicate it). */
  private readonly starting = new Map<MediaKind, Promise<boolean>>();
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly options: MediaSessionOptions,
    private readonly events: MediaSessionEvents,
  ) {
    this.demand = new VideoDemand(connection);
  }

  /** Which tiles are on screen: only their video is received (see VideoDemand). */
  show(view: StageView): void {
    this.demand.show(view);
  }

  videoDemand(): VideoDemandState[] {
    return this.demand.states();
  }

  /** Loads the router's capabilities, creates both transports and consumes what the room already sends. */
  async start(): Promise<void> {
    const { rtpCapabilities } = await this.connection.request('media:getRouterRtpCapabilities', {});
    await this.device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
    this.recv = await this.createTransport('recv');
    const { producers } = await this.connection.request('media:listProducers', {});
    await Promise.all(producers.map((p) => this.consume(p)));
  }

  /**
   * Sends a local track; returns false if the server refuses this kind (e.g. guests audio-only).
   * A kind already sent (or being started) gets the new track on the same producer.
   */
  async produce(kind: MediaKind, track: MediaStreamTrack, paused: boolean): Promise<boolean> {
    if (this.closed || !this.device.canProduce(kind)) return false;
    const pending = this.starting.get(kind);
    if (pending || this.producers.has(kind)) {
      const ok = (await pending) ?? true;
      if (ok) await this.replaceTrack(kind, track);
      return ok;
    }
    const started = this.startProducer(kind, track, paused);
    this.starting.set(kind, started);
    try {
      return await started;
    } finally {
      this.starting.delete(kind);
    }
  }

  private async startProducer(
    kind: MediaKind,
    track: MediaStreamTrack,
    paused: boolean,
  ): Promise<boolean> {
    const send = await this.sendTransport();
    try {
      const producer = await send.produce({
        track,
        stopTracks: false,
        zeroRtpOnPause: true,
        // Simulcast: a half-size layer for small tiles, the full size for a large one (a 640x360
        // camera gets two layers from Chromium; receivers pick one with media:setPreferredLayers).
        encodings:
          kind === 'video'
            ? [
                { scaleResolutionDownBy: 2, maxBitrate: 200_000 },
                { scaleResolutionDownBy: 1, maxBitrate: 600_000 },
              ]
            : undefined,
        codecOptions: kind === 'audio' ? { opusDtx: true, opusFec: true } : undefined,
        appData: { source: kind === 'video' ? 'camera' : 'microphone' },
      });
      this.producers.set(kind, producer);
      if (paused) await this.setPaused(kind, true);
      return true;
    } catch (error) {
      if (error instanceof ServerError) return false;
      throw error;
    }
  }

  /** The one send transport, for the camera, the microphone and a screen share alike. */
  private async sendTransport(): Promise<types.Transport> {
    // One send transport, even when two kinds start at once.
    this.sendStarting ??= this.createTransport('send');
    this.send ??= await this.sendStarting;
    return this.send;
  }

  /**
   * Sends a screen share on the same send transport as the camera: its picture as one
   * full-resolution encoding at a modest frame rate (no simulcast layers; text stays sharp, the
   * encoder drops frames rather than resolution), and its sound if the browser shared some.
   * Throws what the server refused (SHARE_NOT_ALLOWED, SHARE_ALREADY_ACTIVE); nothing is left sent then.
   * Returns the picture's producer id.
   */
  async shareScreen(video: MediaStreamTrack, audio: MediaStreamTrack | undefined): Promise<string> {
    if (this.closed) throw new Error('The media session is closed');
    const send = await this.sendTransport();
    video.contentHint = 'detail';
    try {
      const screen = await send.produce({
        track: video,
        stopTracks: false,
        encodings: [{ maxBitrate: 2_500_000, maxFramerate: 15 }],
        appData: { source: 'screen' },
      });
      this.shares.push(screen);
      if (screen.rtpSender) await preferResolution(screen.rtpSender);
      if (audio)
        this.shares.push(
          await send.produce({
            track: audio,
            stopTracks: false,
            appData: { source: 'screen-audio' },
          }),
        );
      return screen.id;
    } catch (error) {
      this.closeShare();
      throw error;
    }
  }

  /** Stops our screen share: closed here, and on the server (the room sees it end). */
  async stopShare(): Promise<void> {
    if (this.shares.length === 0) return;
    this.closeShare();
    await this.connection.request('media:stopShare', {});
  }

  /** Closes our share's producers here only (the server closed them: a host stopped it). */
  closeShare(): void {
    for (const producer of this.shares.splice(0)) producer.close();
  }

  isProducing(kind: MediaKind): boolean {
    return this.producers.has(kind);
  }

  /** Pauses or resumes our own producer, locally (no bytes) and on the server (others are told). */
  async setPaused(kind: MediaKind, paused: boolean): Promise<void> {
    const producer = this.producers.get(kind);
    if (!producer || producer.closed) return;
    if (paused) {
      producer.pause();
      await this.connection.request('media:pauseProducer', { producerId: producer.id });
    } else {
      producer.resume();
      await this.connection.request('media:resumeProducer', { producerId: producer.id });
    }
  }

  /** The server paused our producer (host mute): match it locally so we stop sending. */
  pausedByServer(producerId: string): MediaKind | undefined {
    for (const [kind, producer] of this.producers) {
      if (producer.id === producerId) {
        producer.pause();
        return kind;
      }
    }
    return undefined;
  }

  /** Sends another track on the same producer (another device): same transport, same producer id. */
  async replaceTrack(kind: MediaKind, track: MediaStreamTrack): Promise<void> {
    await this.producers.get(kind)?.replaceTrack({ track });
  }

  /** Stops sending `kind` (its device is gone): the others see it end. */
  async stopProducing(kind: MediaKind): Promise<void> {
    const producer = this.producers.get(kind);
    if (!producer) return;
    this.producers.delete(kind);
    producer.close();
    await this.connection.request('media:closeProducer', { producerId: producer.id });
  }

  /** The producer sending `kind`, if any (debug and tests). */
  producerId(kind: MediaKind): string | undefined {
    return this.producers.get(kind)?.id;
  }

  /** Both transports and the candidate pair each one uses (is the media relayed through TURN?). */
  async transports(): Promise<TransportInfo[]> {
    const out: TransportInfo[] = [];
    for (const [direction, transport] of [
      ['send', this.send],
      ['recv', this.recv],
    ] as const) {
      if (!transport || transport.closed) continue;
      const report = await transport.getStats();
      out.push({ direction, id: transport.id, ...selectedPair(report) });
    }
    return out;
  }

  /** Receives a remote producer (idempotent); the consumer starts paused on the server, then resumes. */
  async consume(info: ProducerInfo): Promise<void> {
    if (this.closed || !this.recv || this.wanted.has(info.producerId)) return;
    this.wanted.add(info.producerId);
    try {
      const { consumer: options } = await this.connection.request('media:consume', {
        transportId: this.recv.id,
        producerId: info.producerId,
        rtpCapabilities: this.device.recvRtpCapabilities,
      });
      if (this.closed || !this.wanted.has(info.producerId)) return;
      const consumer = await this.recv.consume({
        id: options.id,
        producerId: options.producerId,
        kind: options.kind,
        rtpParameters: options.rtpParameters as types.RtpParameters,
      });
      this.consumers.set(info.producerId, consumer);
      consumer.on('trackended', () => this.dropConsumer(info.producerId));
      consumer.on('transportclose', () => this.dropConsumer(info.producerId));
      if (consumer.kind === 'video') {
        const layers = spatialLayersOf(consumer.rtpParameters.encodings?.[0]?.scalabilityMode);
        // A share is demanded for its own tile, apart from the sharer's camera.
        const tile = isShareSource(options.source)
          ? shareTileKey(options.participantId)
          : options.participantId;
        await this.demand.add(consumer.id, tile, layers);
      } else {
        await this.connection.request('media:resumeConsumer', { consumerId: consumer.id });
      }
      this.events.remoteTrack({
        participantId: options.participantId,
        producerId: options.producerId,
        kind: options.kind,
        source: options.source,
        track: consumer.track,
        paused: options.producerPaused,
      });
    } catch (error) {
      this.wanted.delete(info.producerId);
      // The producer closed meanwhile: nothing to show.
      if (error instanceof ServerError) return;
      throw error;
    }
  }

  dropConsumer(producerId: string): void {
    this.wanted.delete(producerId);
    const consumer = this.consumers.get(producerId);
    if (!consumer) return;
    this.consumers.delete(producerId);
    this.demand.remove(consumer.id);
    consumer.close();
    this.events.remoteTrackEnded(producerId);
  }

  /** Byte and frame counters of what we receive (from the browser's inbound-rtp stats). */
  async inboundStats(): Promise<InboundStats[]> {
    if (!this.recv) return [];
    const report = await this.recv.getStats();
    const out: InboundStats[] = [];
    report.forEach((entry: { type?: string } & Record<string, unknown>) => {
      if (entry.type !== 'inbound-rtp') return;
      out.push({
        kind: String(entry.kind),
        bytesReceived: Number(entry.bytesReceived ?? 0),
        packetsReceived: Number(entry.packetsReceived ?? 0),
        framesDecoded: Number(entry.framesDecoded ?? 0),
      });
    });
    return out;
  }

  close(): void {
    this.closed = true;
    for (const producerId of [...this.consumers.keys()]) this.dropConsumer(producerId);
    this.send?.close();
    this.recv?.close();
    this.producers.clear();
    this.shares.splice(0);
  }

  private async createTransport(direction: TransportDirection): Promise<types.Transport> {
    const { transport: options, iceServers } = await this.connection.request(
      'media:createTransport',
      { direction },
    );
    const transportOptions = toTransportOptions(options, iceServers, this.options.relay ?? false);
    const transport =
      direction === 'send'
        ? this.device.createSendTransport(transportOptions)
        : this.device.createRecvTransport(transportOptions);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.connection
        .request('media:connectTransport', { transportId: transport.id, dtlsParameters })
        .then(
          () => callback(),
          (error: unknown) => errback(error instanceof Error ? error : new Error(String(error))),
        );
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        this.connection
          .request('media:produce', {
            transportId: transport.id,
            kind,
            rtpParameters,
            source,
            appData,
          })
          .then(
            ({ producerId }) => callback({ id: producerId }),
            (error: unknown) => errback(error instanceof Error ? error : new Error(String(error))),
          );
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && !this.closed) this.events.failed(`${direction} transport failed`);
    });
    return transport;
  }
}

/**
 * Screen content: keep the resolution and drop frames when the encoder is short of bits (text
 * stays readable). Where the browser does not take the preference, the content hint still says it.
 */
async function preferResolution(sender: RTCRtpSender): Promise<void> {
  const parameters = sender.getParameters() as RTCRtpSendParameters & {
    degradationPreference?: string;
  };
  parameters.degradationPreference = 'maintain-resolution';
  await sender.setParameters(parameters).catch(() => undefined);
}

/**
 * The protocol leaves mediasoup's parameter shapes opaque; mediasoup-client gets them as sent,
 * with the ICE servers (TURN credentials issued to this participant) of the same ack.
 */
function toTransportOptions(
  options: TransportOptions,
  iceServers: IceServer[] | undefined,
  relay: boolean,
): types.TransportOptions {
  return {
    id: options.id,
    iceParameters: options.iceParameters as types.IceParameters,
    iceCandidates: options.iceCandidates as types.IceCandidate[],
    dtlsParameters: options.dtlsParameters as types.DtlsParameters,
    iceServers: iceServers ?? [],
    ...(relay ? { iceTransportPolicy: 'relay' as const } : {}),
  };
}

type StatsEntry = { type?: string; id?: string } & Record<string, unknown>;

/** The local and remote candidate types of the pair ICE selected, from a transport's stats. */
function selectedPair(
  report: RTCStatsReport,
): Pick<TransportInfo, 'localCandidateType' | 'remoteCandidateType'> {
  const entries = new Map<string, StatsEntry>();
  report.forEach((entry: StatsEntry) => entries.set(String(entry.id), entry));
  const all = [...entries.values()];
  const selectedId = all.find((e) => e.type === 'transport')?.selectedCandidatePairId;
  const pair =
    (typeof selectedId === 'string' ? entries.get(selectedId) : undefined) ??
    all.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
  if (!pair) return {};
  const typeOf = (id: unknown) => {
    const type = typeof id === 'string' ? entries.get(id)?.candidateType : undefined;
    return typeof type === 'string' ? type : undefined;
  };
  return {
    localCandidateType: typeOf(pair.localCandidateId),
    remoteCandidateType: typeOf(pair.remoteCandidateId),
  };
}
