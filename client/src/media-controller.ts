import { ErrorCode } from '../../src/protocol/error-codes.js';
import type {
  MediaKind,
  MediaSource,
  ProducerInfo,
  ServerEventOf,
} from '../../src/protocol/events.js';
import { isShareSource } from '../../src/protocol/screen-share.js';
import type { Connection } from './connection.js';
import { describeError, ServerError } from './errors.js';
import type { LocalMedia } from './local-media.js';
import { shareTileKey, type StageView, type VideoDemandState } from './video-demand.js';
import {
  type InboundStats,
  MediaSession,
  type RemoteTrack,
  type TransportInfo,
} from './media-session.js';
import type { RoomStore } from './room-store.js';
import type { ToastOptions } from './ui/feedback.js';
import type { TrackState } from './ui/model.js';

const MUTED_BY_HOST_TEXT: Record<MediaKind, string> = {
  audio: 'A host muted your microphone. You can unmute when a host allows it.',
  video: 'A host turned off your camera. You can turn it on when a host allows it.',
};

/** What the media controller needs from the page around it. */
export interface MediaHost {
  connection(): Connection | undefined;
  /** Whether a new session may be built now (in the room, with the link up). */
  canRebuild(): boolean;
  /** Shows a track in a tile: a participant's (their id) or a screen share's (`shareTileKey`). */
  attach(tileKey: string, kind: MediaKind, track: MediaStreamTrack): void;
  detach(track: MediaStreamTrack): void;
  /** Someone's media state in the room store changed. */
  changed(): void;
  notice(text: string, options?: ToastOptions): void;
  /** Runs a background task whose failure the page reports. */
  run(task: Promise<unknown>): void;
  /** `#relay=1`: media only through TURN. */
  relayOnly(): boolean;
}

/**
 * This person's media in the room: one MediaSession at a time (built after each (re)join, rebuilt
 * after a transport failure or media:restart), the local tracks it sends as the person chose,
 * and which remote producer is whose, so pause, resume and close events land on the right tile.
 */
export class MediaController {
  private session?: MediaSession;
  private rebuilding?: Promise<void>;
  /** Camera and microphone starting on the pre-join screen; joining may be quicker than that. */
  private localReady: Promise<void> = Promise.resolve();
  private readonly want: Record<MediaKind, boolean> = { audio: true, video: true };
  /** producerId -> whose, which kind and source, for pause/resume and close events. */
  private readonly remote = new Map<
    string,
    { participantId: string; kind: MediaKind; source: MediaSource; track?: MediaStreamTrack }
  >();
  /** This person's screen share: what the browser captures, while it is sent. */
  private screen?: MediaStream;

  /** The tiles on screen, kept for the next session (after a rebuild). */
  private view: StageView = new Map();

  constructor(
    private readonly local: LocalMedia,
    private readonly store: RoomStore,
    private readonly host: MediaHost,
  ) {}

  /** The local devices are starting; what is sent waits for them. */
  localStarting(ready: Promise<void>): void {
    this.localReady = ready;
  }

  /** What the person chose to send when joining. */
  choose(options: Record<MediaKind, boolean>): void {
    this.want.audio = options.audio;
    this.want.video = options.video;
  }

  /** This person's own media state, for the room store at a (re)join. */
  selfMedia(): Record<MediaKind, TrackState> {
    return { audio: this.selfState('audio'), video: this.selfState('video') };
  }

  /** The stage shows these tiles now: receive video for them only, at the layer each needs. */
  showStage(view: StageView): void {
    this.view = view;
    this.session?.show(view);
  }

  videoDemand(): VideoDemandState[] {
    return this.session?.videoDemand() ?? [];
  }

  /** Someone started sending (`media:newProducer`): receive it. */
  newProducer(info: ProducerInfo): void {
    if (this.session) this.host.run(this.session.consume(info));
  }

  /** A remote stream ended: its producer closed, or the server closed this person's consumer. */
  remoteClosed(producerId: string): void {
    this.session?.dropConsumer(producerId);
  }

  /** The server paused a stream: a host muted this person, or someone paused what they send. */
  paused({ producerId, participantId, byHost }: ServerEventOf<'media:producerPaused'>): void {
    if (participantId === this.store.selfId) {
      const kind = this.session?.pausedByServer(producerId);
      if (!kind) return;
      this.want[kind] = false;
      this.setSelfState(kind, 'off');
      if (byHost)
        this.host.notice(
          kind === 'audio' ? 'A host muted your microphone.' : 'A host turned off your camera.',
        );
      return;
    }
    const info = this.remote.get(producerId);
    if (info && !isShareSource(info.source)) this.setRemoteState(participantId, info.kind, 'off');
  }

  resumed({ producerId, participantId }: ServerEventOf<'media:producerResumed'>): void {
    const info = this.remote.get(producerId);
    if (info && !isShareSource(info.source)) this.setRemoteState(participantId, info.kind, 'on');
  }

  /** Whether this person shares their screen now. */
  sharing(): boolean {
    return this.screen !== undefined;
  }

  /**
   * Shares a screen or window the person picks (with its sound where the browser offers it), or
   * stops sharing. Refused with the reason when the room or deployment does not allow it.
   */
  async toggleShare(): Promise<void> {
    if (this.screen) return this.stopShare();
    const refusal = this.store.shareRefusal();
    if (refusal) return this.host.notice(`${refusal}.`);
    const session = this.session;
    if (!session) return;
    const stream = await navigator.mediaDevices
      .getDisplayMedia({ video: true, audio: true })
      .catch(() => undefined); // the person closed the browser's picker
    const video = stream?.getVideoTracks()[0];
    if (!stream || !video) return stream?.getTracks().forEach((t) => t.stop());
    this.screen = stream;
    // The browser's own "Stop sharing" ends the track: stop as if the button was pressed.
    video.addEventListener('ended', () => {
      if (this.screen === stream) this.host.run(this.stopShare());
    });
    try {
      const producerId = await session.shareScreen(video, stream.getAudioTracks()[0]);
      if (this.screen !== stream) return session.closeShare();
      this.store.setShare(this.store.selfId, producerId);
      this.host.changed();
      this.host.attach(shareTileKey(this.store.selfId), 'video', video);
    } catch (error) {
      if (this.screen === stream) this.endShare();
      if (!(error instanceof ServerError)) throw error;
      this.host.notice(describeError(error.code, error.message), { tone: 'error' });
    }
  }

  /** Stops this person's screen share (the button, or the browser's own stop). */
  async stopShare(): Promise<void> {
    if (!this.screen) return;
    this.endShare();
    await this.session?.stopShare();
  }

  /** A host stopped this person's share (`media:shareStopped`): it ends here too. */
  shareStopped(): void {
    this.session?.closeShare();
    if (!this.screen) return;
    this.endShare();
    this.host.notice('A host stopped your screen share.');
  }

  /** Builds a new session (closing any old one), then sends the local tracks as chosen. */
  async start(): Promise<void> {
    this.session?.close();
    this.shareLost();
    const connection = this.host.connection();
    if (!connection) return;
    const options = { relay: this.host.relayOnly() };
    const session = new MediaSession(connection, options, {
      remoteTrack: (t) => {
        this.remote.set(t.producerId, {
          participantId: t.participantId,
          kind: t.kind,
          source: t.source,
          track: t.track,
        });
        if (isShareSource(t.source)) return this.remoteShare(t);
        this.host.attach(t.participantId, t.kind, t.track);
        this.setRemoteState(t.participantId, t.kind, t.paused ? 'off' : 'on');
      },
      remoteTrackEnded: (producerId) => {
        const info = this.remote.get(producerId);
        this.remote.delete(producerId);
        if (!info) return;
        if (info.track) this.host.detach(info.track);
        if (info.source === 'screen') {
          this.store.setShare(info.participantId, null);
          this.host.changed();
        } else if (!isShareSource(info.source)) {
          this.setRemoteState(info.participantId, info.kind, 'none');
        }
      },
      failed: () => this.rebuild(),
    });
    this.session = session;
    session.show(this.view);
    try {
      await session.start();
      // Someone who clicks Join before the camera has started still sends it once it has.
      await this.localReady.catch(() => undefined);
      if (this.session !== session) return;
      for (const kind of ['audio', 'video'] as const) {
        const track = this.local.track(kind);
        if (track) await this.produceLocal(session, kind, track);
      }
    } catch (error) {
      if (this.session !== session) return;
      this.host.notice(
        describeError(error instanceof ServerError ? error.code : ErrorCode.MEDIA_UNAVAILABLE),
        { tone: 'error' },
      );
    }
  }

  /**
   * A new local track for `kind` (another device, or one that works now): replaces the track of
   * the producer in place (same transport, same producer), or starts sending it.
   */
  async sendTrack(kind: MediaKind, track: MediaStreamTrack): Promise<void> {
    const session = this.session;
    // No session (reconnecting): start() sends the local tracks once it is back.
    if (session) await this.produceLocal(session, kind, track);
    else this.setSelfState(kind, this.selfState(kind));
  }

  /** The device of `kind` is gone and nothing replaced it: stop sending it (the others see it end). */
  async stopSending(kind: MediaKind): Promise<void> {
    this.setSelfState(kind, 'none');
    await this.session?.stopProducing(kind);
  }

  /** Our transports and producers (`#debug=1`). */
  async debugInfo(): Promise<{
    transports: TransportInfo[];
    producers: Partial<Record<MediaKind, string>>;
  }> {
    const session = this.session;
    if (!session) return { transports: [], producers: {} };
    return {
      transports: await session.transports(),
      producers: { audio: session.producerId('audio'), video: session.producerId('video') },
    };
  }

  /** Throws the session away and builds a new one (transport failure, server restart), once at a time. */
  rebuild(): void {
    if (this.rebuilding || !this.host.canRebuild()) return;
    this.rebuilding = this.start().finally(() => (this.rebuilding = undefined));
    this.host.run(this.rebuilding);
  }

  /** The person turned their microphone or camera on or off (on: not while a host muted it hard). */
  async toggle(kind: MediaKind): Promise<void> {
    const self = this.store.self();
    if (!self || self.media[kind] === 'none') return;
    const on = self.media[kind] !== 'on';
    if (on) return this.unmute(kind);
    this.want[kind] = false;
    this.setSelfState(kind, 'off');
    await this.session?.setPaused(kind, true);
  }

  /**
   * Turns the microphone or camera on, sending it first if it was not sent (it was muted hard
   * when the session started); a hard mute refuses, and the person is told why.
   */
  async unmute(kind: MediaKind): Promise<void> {
    const track = this.local.track(kind);
    if (!track) return;
    if (this.mutedByHost(kind)) return this.host.notice(MUTED_BY_HOST_TEXT[kind]);
    this.want[kind] = true;
    this.setSelfState(kind, 'on');
    try {
      if (this.session && !this.session.isProducing(kind)) {
        track.enabled = true;
        if (!(await this.session.produce(kind, track, false))) this.setSelfState(kind, 'off');
      } else await this.session?.setPaused(kind, false);
    } catch (error) {
      if (!(error instanceof ServerError && error.code === ErrorCode.MUTED_BY_HOST)) throw error;
      this.want[kind] = false;
      this.setSelfState(kind, 'off');
      this.host.notice(MUTED_BY_HOST_TEXT[kind]);
    }
  }

  /** Closes the session (link lost, meeting over); remote tiles lose their tracks. */
  stop(): void {
    this.session?.close();
    this.session = undefined;
    this.shareLost();
  }

  /** The session that sent our share is gone: the share ends, and the person may share again. */
  private shareLost(): void {
    if (!this.screen) return;
    this.endShare();
    this.host.notice('Your screen share stopped because the connection was interrupted.');
  }

  private endShare(): void {
    for (const track of this.screen?.getTracks() ?? []) track.stop();
    this.screen = undefined;
    this.store.setShare(this.store.selfId, null);
    this.host.changed();
  }

  /** Someone's share: its picture makes its tile; its sound plays there (also if it came first). */
  private remoteShare(t: RemoteTrack): void {
    const tile = shareTileKey(t.participantId);
    if (t.source === 'screen') {
      this.store.setShare(t.participantId, t.producerId);
      this.host.changed();
      for (const other of this.remote.values())
        if (
          other.participantId === t.participantId &&
          other.source === 'screen-audio' &&
          other.track
        )
          this.host.attach(tile, 'audio', other.track);
    }
    this.host.attach(tile, t.kind, t.track);
  }

  inboundStats(): Promise<InboundStats[]> {
    return this.session?.inboundStats() ?? Promise.resolve([]);
  }

  private async produceLocal(
    session: MediaSession,
    kind: MediaKind,
    track: MediaStreamTrack,
  ): Promise<void> {
    // The server refuses what a host muted hard; it is sent once a host allows it and they unmute.
    if (this.mutedByHost(kind)) {
      this.want[kind] = false;
      this.setSelfState(kind, 'off');
      return;
    }
    track.enabled = true;
    const ok = await session.produce(kind, track, !this.want[kind]);
    if (this.session !== session) return;
    if (!ok && kind === 'video') {
      this.host.notice('Your camera is not shared: guests can only send audio in this meeting.');
      this.setSelfState('video', 'none');
    } else if (ok) {
      this.setSelfState(kind, this.selfState(kind));
    }
  }

  private mutedByHost(kind: MediaKind): boolean {
    return this.store.self()?.mutedByHost.includes(kind) ?? false;
  }

  private selfState(kind: MediaKind): TrackState {
    const track = this.local.track(kind);
    if (!track) return 'none';
    return this.want[kind] ? 'on' : 'off';
  }

  private setSelfState(kind: MediaKind, state: TrackState): void {
    this.store.setSelfMedia(kind, state);
    this.host.changed();
  }

  private setRemoteState(participantId: string, kind: MediaKind, state: TrackState): void {
    this.store.setMedia(participantId, kind, state);
    this.host.changed();
  }
}
