import type { JoinedResult, MediaKind } from '../../src/protocol/events.js';
import { ChatController } from './chat-controller.js';
import { Connection } from './connection.js';
import { exposeDebug } from './debug.js';
import { Devices } from './devices.js';
import { ServerError } from './errors.js';
import { HandsAndMutes } from './hands-and-mutes.js';
import { HostActions, type HostPage } from './host-actions.js';
import { LocalMedia } from './local-media.js';
import { MediaController } from './media-controller.js';
import { PhaseMachine } from './phases.js';
import { type Ending, type Next, ReconnectPolicy } from './reconnect-policy.js';
import { PeopleEvents, type PeoplePage } from './people-events.js';
import { RoomStore } from './room-store.js';
import { routeServerEvents } from './server-events.js';
import { forgetJoinLink, type JoinLink } from './token.js';
import { replaceChildren } from './ui/dom.js';
import { Announcer, confirmDialog, Toasts } from './ui/feedback.js';
import { PreJoinView } from './ui/prejoin.js';
import { RoomScreen } from './ui/room-screen.js';
import { endScreen, lobbyScreen, noLinkScreen } from './ui/screens.js';
import { VideoGrid } from './ui/video-grid.js';

/**
 * The web client: pre-join, lobby, room and end screens over one Socket.IO connection. The room
 * survives reconnects: after the link comes back it joins again, reloads chat history and
 * rebuilds the media session, without touching the chat's active conversation.
 */
export class App {
  private readonly phases = new PhaseMachine();
  private readonly policy = new ReconnectPolicy(this.phases);
  private readonly local = new LocalMedia();
  private readonly toasts = new Toasts();
  private readonly announcer = new Announcer();
  /** Holds the current screen; the live regions beside it stay put, or they would stop working. */
  private readonly screen = document.createElement('div');
  private connection?: Connection;
  private prejoin?: PreJoinView;
  private room?: RoomScreen;
  private readonly store = new RoomStore();
  private readonly grid = new VideoGrid();
  /** What the stores and controllers below ask of the page. */
  private readonly page: PeoplePage & Pick<HostPage, 'request'> = {
    request: (event, payload) =>
      this.connection?.request(event, payload) ?? Promise.reject(new Error('not connected')),
    changed: () => this.room?.render(),
    notice: (text, options) => this.toasts.show(text, options),
    run: (task) => this.run(task),
  };
  private readonly media = new MediaController(this.local, this.store, {
    ...this.page,
    connection: () => this.connection,
    canRebuild: () => this.phases.phase === 'room' && !!this.connection?.connected,
    attach: (participantId, kind, track) => this.grid.attach(participantId, kind, track),
    detach: (track) => this.grid.detach(track),
    relayOnly: () => this.link?.relay ?? false,
  });
  private readonly devices = new Devices(this.local, this.media, {
    ...this.page,
    changed: () => this.room?.renderSettings(),
    setSpeaker: (deviceId) => this.grid.setSpeaker(deviceId),
    openSettings: () => this.room?.openSettings(),
  });
  /** The Settings panel's devices and what its controls do. */
  private readonly settings = {
    devices: this.devices,
    actions: {
      choose: (kind: MediaKind, deviceId: string) => this.run(this.devices.choose(kind, deviceId)),
      chooseSpeaker: (deviceId: string) => this.run(this.devices.chooseSpeaker(deviceId)),
      retry: (kind: MediaKind) => this.run(this.devices.retry(kind)),
    },
  };
  private readonly chat = new ChatController(this.store, {
    ...this.page,
    joined: () => this.phases.joined,
    ended: () => this.phases.ended,
    changed: () => this.room?.renderChat(),
    announce: (text) => this.announcer.say(text),
    panelOpen: () => this.room?.chatOpen ?? false,
    openPrivate: (id) => this.room?.openPrivate(id),
  });
  private readonly host = new HostActions(this.store, { ...this.page, confirm: confirmDialog });
  private readonly peopleEvents = new PeopleEvents(this.store, this.host, this.page);
  private readonly controls = new HandsAndMutes(this.store, this.media, {
    ...this.page,
    confirm: confirmDialog,
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly link: JoinLink | undefined,
  ) {
    this.grid.onView = (view) => this.media.showStage(view);
    this.grid.onStopShare = (participantId) => this.host.stopShare(participantId);
    this.grid.onAudioBlocked = () =>
      this.toasts.show('Your browser paused the sound.', {
        action: { label: 'Turn sound on', run: () => this.grid.resumeAudio() },
      });
  }

  start(): void {
    replaceChildren(this.root, this.screen, this.toasts.root, this.announcer.root);
    if (!this.link) return this.show(noLinkScreen());
    if (this.link.debug)
      exposeDebug({
        events: () => this.connection?.log ?? [],
        inboundStats: () => this.media.inboundStats(),
        media: () => this.media.debugInfo(),
        phase: () => this.phases.phase,
        videoDemand: () => this.media.videoDemand(),
        stage: () => this.grid.shown(),
      });
    this.prejoin = new PreJoinView(this.link, this.local, {
      join: (options) => this.join(options),
    });
    this.show(this.prejoin.root);
    const localReady = this.prejoin.load();
    this.media.localStarting(localReady);
    localReady.then(
      () => this.prejoin?.focus(),
      () =>
        this.prejoin?.showError(
          'Your camera and microphone could not be started. You can still join.',
          true,
        ),
    );
  }

  // ---- joining ----

  private join(options: { audio: boolean; video: boolean }): void {
    if (!this.link) return;
    this.media.choose(options);
    this.phases.connecting();
    this.prejoin?.setBusy('Joining…');
    if (this.connection) return this.connection.open();
    const connection = new Connection(this.link.token, {
      connected: () => this.run(this.enter()),
      reconnecting: () => this.apply(this.policy.linkDropped()),
      refused: (code, message) => this.apply(this.policy.refused(code, message)),
    });
    this.connection = connection;
    routeServerEvents(connection, {
      people: this.peopleEvents,
      chat: this.chat,
      controls: this.controls,
      media: this.media,
      session: {
        ended: (event) => this.apply(this.policy.sessionEnded(event)),
        draining: (event) => this.apply(this.policy.draining(event)),
        admitted: () => this.run(this.enter()),
        rejected: () => this.apply(this.policy.lobbyRejected()),
      },
    });
    connection.open();
  }

  /** Joins (or re-joins after a reconnect or lobby admission). */
  private async enter(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.phases.ended) return;
    let result;
    try {
      result = await connection.request('room:join', {});
    } catch (error) {
      if (error instanceof ServerError) return this.apply(this.policy.joinRefused(error));
      throw error;
    }
    if (result.status === 'waiting') {
      this.phases.waiting();
      return this.show(lobbyScreen(() => this.leave()));
    }
    this.onJoined(result);
    await Promise.all([this.chat.loadHistory(), this.host.loadLobby(), this.media.start()]);
  }

  private onJoined(result: JoinedResult): void {
    const first = this.phases.entered();
    this.store.joined(result, this.media.selfMedia());
    document.title = `${result.room.name} · convene`;
    this.chat.joined(result.self.participantId);
    if (first) this.mountRoom();
    this.room?.setConnection('ok');
    this.room?.render();
  }

  private mountRoom(): void {
    this.room = new RoomScreen(this.store, this.chat, this.host, this.grid, this.local.stream, {
      toggleMedia: (kind) => this.run(this.media.toggle(kind)),
      toggleShare: () => this.run(this.media.toggleShare()),
      sharing: () => this.media.sharing(),
      toggleOwnHand: () => this.controls.toggleOwnHand(),
      leave: () => this.leave(),
      settings: this.settings,
    });
    this.show(this.room.root);
    // The Join button is gone: start keyboard and screen reader users at the top of the room.
    this.room.focusHeading();
    this.prejoin = undefined;
    this.run(this.devices.enter());
  }

  /** Does what the reconnect policy decided. */
  private apply(next: Next): void {
    switch (next.do) {
      case 'stay':
        return;
      case 'reconnect':
        return this.reconnecting(next.retryInMs);
      case 'move':
        this.reconnecting(undefined);
        return this.connection?.move(next.inMs);
      case 'prejoin':
        this.phases.backToPrejoin();
        return this.prejoin?.showError(next.text, true);
      case 'end':
        return this.end(next.ending);
    }
  }

  /** The room stays on screen, without media, until the re-join. */
  private reconnecting(retryInMs: number | undefined): void {
    // Also outside the room (connecting, lobby): the screen stays, the link is opened again.
    if (retryInMs !== undefined) window.setTimeout(() => this.connection?.open(), retryInMs);
    if (!this.phases.linkLost()) return;
    this.media.stop();
    this.store.remoteMediaGone();
    this.room?.setConnection('reconnecting');
    this.room?.render();
  }

  // ---- leaving ----

  private leave(): void {
    const connection = this.connection;
    if (connection?.connected && !this.phases.ended) {
      connection.request('room:leave', {}).then(
        () => connection.close(),
        () => connection.close(),
      );
    }
    this.apply(this.policy.left());
  }

  private end(ending: Ending): void {
    if (!this.phases.end()) return;
    this.media.stop();
    // Rejoining reloads the page (the token stays in this tab), so this connection is done either way.
    this.connection?.close();
    this.local.stop();
    this.toasts.clear();
    if (!ending.canRejoin) forgetJoinLink(window.sessionStorage);
    const screen = endScreen(ending);
    this.show(screen);
    screen.querySelector<HTMLElement>('h1')?.focus();
  }

  // ---- helpers ----

  private show(screen: HTMLElement): void {
    replaceChildren(this.screen, screen);
    // Notices go where the screen keeps a place for them (the room: above the videos).
    const slot = screen.querySelector('[data-notices]') ?? this.root;
    if (this.toasts.root.parentElement !== slot) slot.append(this.toasts.root);
  }

  /** Runs a background task; failures become a notice instead of an unhandled rejection. */
  private run(task: Promise<unknown> | undefined): void {
    task?.catch((error: unknown) => {
      const text = this.policy.taskFailed(error);
      if (text === undefined) return;
      if (!(error instanceof ServerError)) console.error('convene:', error);
      this.toasts.show(text, { tone: 'error' });
    });
  }
}
