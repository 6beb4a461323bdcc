import type { ChatMessage } from '../../src/protocol/events.js';
import { ChatState, type ConversationKey, PUBLIC } from './chat.js';
import { ChatOutbox, type OutgoingChat } from './chat-outbox.js';
import type { Connection } from './connection.js';
import { describeChatError, ServerError } from './errors.js';
import type { RoomStore } from './room-store.js';
import type { ToastOptions } from './ui/feedback.js';

/** What the chat needs from the page around it. */
export interface ChatPage {
  request: Connection['request'];
  /** In the room on the server right now. */
  joined(): boolean;
  /** The meeting is over for this person: a failed send is no news any more. */
  ended(): boolean;
  /** The chat changed. */
  changed(): void;
  /** Says something to screen readers, once. */
  announce(text: string): void;
  notice(text: string, options?: ToastOptions): void;
  /** Whether the chat panel is open (a private message then needs no notice). */
  panelOpen(): boolean;
  /** Opens the private conversation with someone. */
  openPrivate(participantId: string): void;
}

/**
 * This person's chat in the room: the conversations (ChatState), sending through the outbox
 * (held while the link is down, retried with the same clientMessageId), history after each
 * (re)join and the announcements of what arrives.
 */
export class ChatController {
  readonly state = new ChatState('');
  private readonly outbox: ChatOutbox;

  constructor(
    private readonly store: RoomStore,
    private readonly page: ChatPage,
  ) {
    this.outbox = new ChatOutbox({
      joined: () => page.joined(),
      send: (payload) => page.request('chat:send', payload).then(({ message }) => message),
      sent: (clientMessageId, message) => {
        this.state.confirm(clientMessageId, message);
        page.changed();
      },
      failed: (outgoing, error) => this.failed(outgoing, error),
    });
  }

  /** A (re)join: messages are this person's by `selfId`; what waited for the link goes out. */
  joined(selfId: string): void {
    this.state.setSelf(selfId);
    this.outbox.flush();
  }

  async loadHistory(): Promise<void> {
    const { messages } = await this.page.request('chat:history', {});
    for (const m of messages) {
      this.store.rememberSender(m);
      this.state.receive(m, false);
    }
    this.page.changed();
  }

  /** Sends `text` to the open conversation. */
  send(text: string): void {
    this.deliver(this.state.active, text, crypto.randomUUID(), true);
  }

  /** Sends a failed message again, with its clientMessageId. */
  retry(clientMessageId: string): void {
    const entry = this.state.retry(clientMessageId);
    if (entry) this.deliver(entry.key, entry.text, clientMessageId, false);
  }

  /** A message arrived (`chat:message`): shown, and said unless this person sent it. */
  received(message: ChatMessage): void {
    this.store.rememberSender(message);
    const key = this.state.receive(message);
    this.page.changed();
    if (!key || message.from.participantId === this.store.selfId) return;
    const from = message.from.displayName;
    this.page.announce(
      key === PUBLIC ? `${from}: ${message.text}` : `Private message from ${from}: ${message.text}`,
    );
    if (key !== PUBLIC && !this.page.panelOpen()) {
      this.page.notice(`Private message from ${from}`, {
        action: { label: 'Open', run: () => this.page.openPrivate(message.from.participantId) },
        quiet: true,
      });
    }
  }

  /** Unread messages over all conversations. */
  unread(): number {
    return this.state.list().reduce((n, c) => n + c.unread, 0);
  }

  private deliver(
    key: ConversationKey,
    text: string,
    clientMessageId: string,
    addPending: boolean,
  ): void {
    const payload = this.state.outgoing(key, text, clientMessageId);
    if (addPending) this.state.addPending(key, clientMessageId, text);
    this.page.changed();
    this.outbox.send({ key, payload });
  }

  private failed({ key, payload }: OutgoingChat, error: unknown): void {
    if (this.page.ended()) return;
    const server = error instanceof ServerError ? error : undefined;
    const peerId = this.state.get(key)?.peerId;
    const text = describeChatError(
      server?.code,
      server?.message,
      peerId ? this.store.nameOf(peerId) : undefined,
    );
    this.state.fail(payload.clientMessageId, text);
    this.page.changed();
    this.page.announce(text);
  }
}
