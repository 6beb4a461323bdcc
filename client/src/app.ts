import type { JoinedResult } from '../../src/protocol/events.js';
import { ChatState, type ConversationKey, PUBLIC } from './chat.js';
import { ChatOutbox, type OutgoingChat } from './chat-outbox.js';
import { Connection, type LoggedEvent } from './connection.js';
import { describeChatError, ServerError } from './errors.js';
import { LocalMedia } from './local-media.js';
import { MediaController } from './media-controller.js';
import type { InboundStats } from './media-session.js';
import { type Phase, PhaseMachine } from './phases.js';
import { type Ending, type Next, ReconnectPolicy } from './reconnect-policy.js';
import { RoomStore } from './room-store.js';
import { HostActions } from './host-actions.js';
import { forgetJoinLink, type JoinLink } from './token.js';
import { ChatPanel } from './ui/chat-panel.js';
import { replaceChildren } from './ui/dom.js';
import { Announcer, confirmDialog, messageScreen, Toasts } from './ui/feedback.js';
import { PeoplePanel } from './ui/people-panel.js';
import { PreJoinView } from './ui/prejoin.js';
import { type PanelName, RoomView } from './ui/room-view.js';
import { VideoGrid } from './ui/video-grid.js';

/** What `#debug=1` exposes on `window.conveneDebug` (browser tests read it). */
export interface ConveneDebug {
  /** Every server event this page received, in order. */
  events(): LoggedEvent[];
  inboundStats(): Promise<InboundStats[]>;
  phase(): Phase;
}

declare global {
  interface Window {
    conveneDebug?: ConveneDebug;
  }
}

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
  private readonly store = new RoomStore();
  private readonly grid = new VideoGrid();
  private readonly media = new MediaController(this.local, this.store, {
    connection: () => this.connection,
    canRebuild: () => this.phases.phase === 'room' && !!this.connection?.connected,
    attach: (participantId, kind, track) => this.grid.attach(participantId, kind, track),
    detach: (track) => this.grid.detach(track),
    changed: () => this.renderRoom(),
    notice: (text, tone) => this.toasts.show(text, tone ? { tone } : undefined),
    run: (task) => this.run(task),
  });
  private readonly chat = new ChatState('');
  private readonly outbox = new ChatOutbox({
    joined: () => this.phases.joined,
    send: (payload) => this.request('chat:send', payload).then(({ message }) => message),
    sent: (clientMessageId, message) => {
      this.chat.confirm(clientMessageId, message);
      this.renderChat();
    },
    failed: (outgoing, error) => this.chatFailed(outgoing, error),
  });
  private readonly host = new HostActions(this.store, {
    request: (event, payload) => this.request(event, payload),
    confirm: confirmDialog,
    notice: (text) => this.toasts.show(text),
    changed: () => this.renderRoom(),
    run: (task) => this.run(task),
  });
  private room?: RoomView;
  private chatPanel?: ChatPanel;
  private peoplePanel?: PeoplePanel;

  constructor(
    private readonly root: HTMLElement,
    private readonly link: JoinLink | undefined,
  ) {}

  start(): void {
    replaceChildren(this.root, this.screen, this.toasts.root, this.announcer.root);
    if (!this.link) {
      this.show(
        messageScreen({
          title: 'Open your join link',
          text: 'To join a meeting, open the link you were sent by the organiser. It contains your personal invitation.',
          tone: 'error',
        }),
      );
      return;
    }
    if (this.link.debug) this.exposeDebug();
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
    if (this.connection) {
      this.connection.open();
      return;
    }
    const connection = new Connection(this.link.token, {
      connected: () => this.run(this.enter()),
      reconnecting: () => this.apply(this.policy.linkDropped()),
      refused: (code, message) => this.apply(this.policy.refused(code, message)),
    });
    this.connection = connection;
    this.listen(connection);
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
      this.show(
        messageScreen({
          title: 'Waiting to be admitted',
          text: 'A host will let you in shortly. Keep this page open.',
          busy: true,
          actions: [{ label: 'Leave', run: () => this.leave() }],
        }),
      );
      return;
    }
    this.onJoined(result);
    this.outbox.flush();
    await Promise.all([this.loadHistory(), this.host.loadLobby(), this.media.start()]);
  }

  private onJoined(result: JoinedResult): void {
    const first = this.phases.entered();
    this.store.joined(result, this.media.selfMedia());
    document.title = `${result.room.name} · convene`;
    this.chat.setSelf(result.self.participantId);
    if (first) this.mountRoom();
    this.room?.setConnection('ok');
    this.renderRoom();
  }

  private mountRoom(): void {
    this.chatPanel = new ChatPanel(this.chat, this.store.model, {
      send: (text) => this.sendChat(this.chat.active, text, crypto.randomUUID()),
      retry: (id) => {
        const entry = this.chat.retry(id);
        if (entry) this.sendChat(entry.key, entry.text, id, false);
      },
      open: (key) => this.openConversation(key),
      openPrivate: (id) => this.openPrivate(id),
      close: () => this.togglePanel('chat'),
    });
    this.peoplePanel = new PeoplePanel(this.store.model, {
      message: (id) => this.openPrivate(id),
      mute: (id, kind) => this.host.mute(id, kind),
      remove: (id) => this.host.remove(id),
      admit: (id) => this.host.admit(id),
      reject: (id) => this.host.reject(id),
      close: () => this.togglePanel('people'),
    });
    this.room = new RoomView(
      this.store.model,
      this.grid,
      { chat: this.chatPanel.root, people: this.peoplePanel.root },
      {
        toggleMedia: (kind) => this.run(this.media.toggle(kind)),
        togglePanel: (panel) => this.togglePanel(panel),
        leave: () => this.leave(),
      },
    );
    this.grid.onAudioBlocked = () =>
      this.toasts.show('Your browser paused the sound.', {
        action: { label: 'Turn sound on', run: () => this.grid.resumeAudio() },
      });
    this.show(this.room.root);
    // The Join button is gone: start keyboard and screen reader users at the top of the room.
    this.room.focusHeading();
    this.prejoin = undefined;
  }

  private async loadHistory(): Promise<void> {
    const { messages } = await this.request('chat:history', {});
    for (const m of messages) {
      this.store.rememberSender(m);
      this.chat.receive(m, false);
    }
    this.renderChat();
  }

  // ---- chat ----

  private sendChat(
    key: ConversationKey,
    text: string,
    clientMessageId: string,
    addPending = true,
  ): void {
    const payload = this.chat.outgoing(key, text, clientMessageId);
    if (addPending) this.chat.addPending(key, clientMessageId, text);
    this.renderChat();
    this.outbox.send({ key, payload });
  }

  private chatFailed({ key, payload }: OutgoingChat, error: unknown): void {
    if (this.phases.ended) return;
    const server = error instanceof ServerError ? error : undefined;
    const peerId = this.chat.get(key)?.peerId;
    const text = describeChatError(
      server?.code,
      server?.message,
      peerId ? this.store.nameOf(peerId) : undefined,
    );
    this.chat.fail(payload.clientMessageId, text);
    this.renderChat();
    this.announcer.say(text);
  }

  private openConversation(key: ConversationKey): void {
    this.chat.activate(key);
    this.renderChat();
  }

  private openPrivate(participantId: string): void {
    this.chat.openPrivate(participantId);
    if (this.room?.panel !== 'chat') this.togglePanel('chat');
    this.renderChat();
    this.chatPanel?.focusInput();
  }

  // ---- server events ----

  private listen(connection: Connection): void {
    connection.on('participant:joined', (p) => {
      this.store.personJoined(p);
      this.renderRoom();
      this.toasts.show(`${p.displayName} joined.`);
    });
    connection.on('participant:left', ({ participantId, reason }) => {
      const person = this.store.personLeft(participantId);
      if (!person) return;
      this.renderRoom();
      this.toasts.show(`${person.displayName} ${reason === 'kicked' ? 'was removed' : 'left'}.`);
    });
    connection.on('participant:updated', (p) => {
      const renamed = this.store.personUpdated(p);
      if (p.participantId === this.store.selfId) this.onSelfRole(p.role === 'host');
      else if (renamed) this.toasts.show(`${renamed} is now ${p.displayName}.`);
      this.renderRoom();
    });
    connection.on('session:ended', (event) => this.apply(this.policy.sessionEnded(event)));
    connection.on('chat:message', (message) => {
      this.store.rememberSender(message);
      const key = this.chat.receive(message);
      this.renderChat();
      if (!key || message.from.participantId === this.store.selfId) return;
      const from = message.from.displayName;
      this.announcer.say(
        key === PUBLIC
          ? `${from}: ${message.text}`
          : `Private message from ${from}: ${message.text}`,
      );
      if (key !== PUBLIC && this.room?.panel !== 'chat') {
        this.toasts.show(`Private message from ${from}`, {
          action: { label: 'Open', run: () => this.openPrivate(message.from.participantId) },
          quiet: true,
        });
      }
    });
    connection.on('lobby:waiting', (entry) => {
      this.store.addToLobby(entry);
      this.renderRoom();
      this.toasts.show(`${entry.displayName} is waiting to join.`, {
        action: {
          label: 'Admit',
          run: () => this.host.admit(entry.participantId),
        },
      });
    });
    connection.on('lobby:left', ({ participantId }) => {
      this.store.removeFromLobby(participantId);
      this.renderRoom();
    });
    connection.on('lobby:admitted', () => this.run(this.enter()));
    connection.on('lobby:rejected', () => this.apply(this.policy.lobbyRejected()));
    connection.on('media:activeSpeaker', ({ participantId }) => {
      this.store.setSpeaker(participantId);
      this.renderRoom();
    });
    this.media.listen(connection);
  }

  /** Does what the reconnect policy decided. */
  private apply(next: Next): void {
    switch (next.do) {
      case 'stay':
        return;
      case 'reconnect':
        return this.reconnecting(next.retryInMs);
      case 'prejoin':
        this.phases.backToPrejoin();
        return this.prejoin?.showError(next.text, true);
      case 'end':
        return this.end(next.ending);
    }
  }

  /** The room stays on screen, without media, until the re-join. */
  private reconnecting(retryInMs: number | undefined): void {
    if (!this.phases.linkLost()) return;
    this.media.stop();
    this.store.remoteMediaGone();
    this.room?.setConnection('reconnecting');
    this.renderRoom();
    if (retryInMs !== undefined) window.setTimeout(() => this.connection?.open(), retryInMs);
  }

  /** The server changed whether this person is a host (their identity provider said so). */
  private onSelfRole(isHost: boolean): void {
    if (!this.store.setHost(isHost)) return;
    if (isHost) {
      this.toasts.show('You are now a host.');
      this.run(this.host.loadLobby());
    } else {
      this.toasts.show('You are no longer a host.');
    }
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

  private end({ title, text, canRejoin }: Ending): void {
    if (!this.phases.end()) return;
    this.media.stop();
    // Rejoining reloads the page (the token stays in this tab), so this connection is done either way.
    this.connection?.close();
    this.local.stop();
    this.toasts.clear();
    if (!canRejoin) forgetJoinLink(window.sessionStorage);
    const screen = messageScreen({
      title,
      text,
      tone: canRejoin ? 'info' : 'error',
      actions: canRejoin
        ? [{ label: 'Rejoin', primary: true, run: () => window.location.reload() }]
        : [],
    });
    this.show(screen);
    screen.querySelector<HTMLElement>('h1')?.focus();
  }

  // ---- rendering ----

  private togglePanel(panel: PanelName): void {
    if (!this.room) return;
    const next = this.room.panel === panel ? null : panel;
    this.room.showPanel(next);
    if (next === 'chat') {
      this.chat.activate(this.chat.active);
      this.renderChat();
      this.chatPanel?.focusInput();
    } else if (next === 'people') {
      // The panel sits before the controls in the page: without this, Tab would go to Leave.
      this.peoplePanel?.focusHeading();
    } else {
      this.room.focusPanelButton(panel);
    }
    this.renderRoom();
  }

  private renderRoom(): void {
    if (!this.room) return;
    this.grid.sync(this.store.present(), this.store.model.speakerId, this.local.stream);
    this.room.render();
    this.peoplePanel?.render();
    this.chatPanel?.render();
    this.room.setChatUnread(this.unread());
  }

  private renderChat(): void {
    if (this.room?.panel === 'chat') this.chat.activate(this.chat.active);
    this.chatPanel?.render();
    this.room?.setChatUnread(this.unread());
  }

  private unread(): number {
    return this.chat.list().reduce((n, c) => n + c.unread, 0);
  }

  private show(screen: HTMLElement): void {
    replaceChildren(this.screen, screen);
  }

  private request: Connection['request'] = (event, payload) => {
    if (!this.connection) return Promise.reject(new Error('not connected'));
    return this.connection.request(event, payload);
  };

  /** Runs a background task; failures become a notice instead of an unhandled rejection. */
  private run(task: Promise<unknown> | undefined): void {
    task?.catch((error: unknown) => {
      const text = this.policy.taskFailed(error);
      if (text === undefined) return;
      if (!(error instanceof ServerError)) console.error('convene:', error);
      this.toasts.show(text, { tone: 'error' });
    });
  }

  private exposeDebug(): void {
    window.conveneDebug = {
      events: () => this.connection?.log ?? [],
      inboundStats: () => this.media.inboundStats(),
      phase: () => this.phases.phase,
    };
  }
}
