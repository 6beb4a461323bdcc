import type { ChatMessage, ChatSendPayload } from '../../src/protocol/events.js';

/** `'public'` or the participant id a private conversation is bound to. */
export type ConversationKey = 'public' | `private:${string}`;

export const PUBLIC: ConversationKey = 'public';
export const privateKey = (participantId: string): ConversationKey => `private:${participantId}`;

export interface Conversation {
  key: ConversationKey;
  /** For a private conversation: the other person's participant id (never changes). */
  peerId: string | null;
  messages: ChatEntry[];
  unread: number;
}

export type ChatEntry =
  | { state: 'sent'; message: ChatMessage }
  | {
      state: 'pending' | 'failed';
      clientMessageId: string;
      text: string;
      error?: string;
      sentAt: number;
    };

/**
 * The chat as this person sees it: the public conversation and one private conversation per peer,
 * each bound to a participant id. Which conversation is active and where a message goes depend
 * only on what the person chose, never on who joins or leaves.
 */
export class ChatState {
  private readonly conversations = new Map<ConversationKey, Conversation>();
  private readonly seen = new Set<string>();
  active: ConversationKey = PUBLIC;

  constructor(private selfId: string) {
    this.ensure(PUBLIC);
  }

  setSelf(selfId: string): void {
    this.selfId = selfId;
  }

  list(): Conversation[] {
    return [...this.conversations.values()];
  }

  get(key: ConversationKey): Conversation | undefined {
    return this.conversations.get(key);
  }

  /** Opens (creating if needed) the private conversation with a participant and makes it active. */
  openPrivate(participantId: string): Conversation {
    const conversation = this.ensure(privateKey(participantId));
    this.activate(conversation.key);
    return conversation;
  }

  activate(key: ConversationKey): void {
    const conversation = this.ensure(key);
    this.active = key;
    conversation.unread = 0;
  }

  /**
   * The payload for sending `text` in a conversation. Only the public conversation sends a public
   * message; a private one always names its recipient, and one without a recipient throws rather
   * than falling back to public.
   */
  outgoing(key: ConversationKey, text: string, clientMessageId: string): ChatSendPayload {
    if (key === PUBLIC) return { kind: 'public', text, clientMessageId };
    const peerId = this.ensure(key).peerId;
    if (!peerId) throw new Error(`The private conversation ${key} has no recipient`);
    return { kind: 'private', to: peerId, text, clientMessageId };
  }

  /**
   * The conversation a stored message belongs to, from its own fields only. A private message
   * whose other party is unclear belongs to no conversation (never to the public one).
   */
  keyOf(message: ChatMessage): ConversationKey | undefined {
    if (message.kind === 'public') return PUBLIC;
    const peer =
      message.from.participantId === this.selfId ? message.to : message.from.participantId;
    return peer ? privateKey(peer) : undefined;
  }

  addPending(key: ConversationKey, clientMessageId: string, text: string): void {
    this.ensure(key).messages.push({ state: 'pending', clientMessageId, text, sentAt: Date.now() });
  }

  /** A message we sent was stored: replaces the pending entry. */
  confirm(clientMessageId: string, message: ChatMessage): void {
    for (const conversation of this.conversations.values()) {
      const index = conversation.messages.findIndex(
        (m) => m.state !== 'sent' && m.clientMessageId === clientMessageId,
      );
      if (index >= 0) conversation.messages.splice(index, 1);
    }
    this.receive(message, false);
  }

  fail(clientMessageId: string, error: string): void {
    for (const conversation of this.conversations.values()) {
      for (const entry of conversation.messages) {
        if (entry.state !== 'sent' && entry.clientMessageId === clientMessageId) {
          entry.state = 'failed';
          entry.error = error;
        }
      }
    }
  }

  retry(clientMessageId: string): { key: ConversationKey; text: string } | undefined {
    for (const conversation of this.conversations.values()) {
      for (const entry of conversation.messages) {
        if (entry.state === 'failed' && entry.clientMessageId === clientMessageId) {
          entry.state = 'pending';
          delete entry.error;
          return { key: conversation.key, text: entry.text };
        }
      }
    }
    return undefined;
  }

  /** Adds a stored message once (history and live delivery may overlap); returns its conversation. */
  receive(message: ChatMessage, countUnread = true): ConversationKey | undefined {
    if (this.seen.has(message.id)) return undefined;
    const key = this.keyOf(message);
    if (!key) {
      console.warn('chat: dropped a private message without a clear recipient', message.id);
      return undefined;
    }
    this.seen.add(message.id);
    const conversation = this.ensure(key);
    const entries = conversation.messages;
    // Keep stored messages in seq order; pending ones stay at the end.
    let index = entries.length;
    while (index > 0) {
      const before = entries[index - 1];
      if (before && (before.state !== 'sent' || before.message.seq > message.seq)) index--;
      else break;
    }
    entries.splice(index, 0, { state: 'sent', message });
    if (
      countUnread &&
      conversation.key !== this.active &&
      message.from.participantId !== this.selfId
    ) {
      conversation.unread++;
    }
    return conversation.key;
  }

  private ensure(key: ConversationKey): Conversation {
    let conversation = this.conversations.get(key);
    if (!conversation) {
      const peerId = key === PUBLIC ? null : key.slice('private:'.length);
      conversation = { key, peerId, messages: [], unread: 0 };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }
}
