import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { ChatMessage, ChatSendPayload } from '../../src/protocol/events.js';
import type { ConversationKey } from './chat.js';
import { ServerError } from './errors.js';

/** A chat message on its way: the conversation it was written in and what goes to the server. */
export interface OutgoingChat {
  key: ConversationKey;
  payload: ChatSendPayload;
}

export interface ChatLink {
  /** In the room on the server right now (false from a dropped link until the re-join). */
  joined(): boolean;
  /** Sends one message; resolves with the stored message, rejects as the request did. */
  send(payload: ChatSendPayload): Promise<ChatMessage>;
  /** The server stored the message. */
  sent(clientMessageId: string, message: ChatMessage): void;
  /** The server refused it (or the request failed while joined): it will not go out by itself. */
  failed(outgoing: OutgoingChat, error: unknown): void;
}

/**
 * Chat written while the link is down, or whose ack was lost with the link, waits here and goes
 * out after the re-join, in the order it was written and with the same clientMessageId (which
 * the server treats as idempotent, so a message is stored and delivered once).
 */
export class ChatOutbox {
  private readonly held: OutgoingChat[] = [];

  constructor(private readonly link: ChatLink) {}

  /** Sends now if joined, otherwise holds the message until `flush`. */
  send(outgoing: OutgoingChat): void {
    if (!this.link.joined()) return this.hold(outgoing);
    const { clientMessageId } = outgoing.payload;
    this.link.send(outgoing.payload).then(
      (message) => this.link.sent(clientMessageId, message),
      (error: unknown) => {
        // The link dropped before the ack (or the server saw us before the re-join): send again
        // once joined instead of calling it failed.
        if (!this.link.joined() && lostWithTheLink(error)) return this.hold(outgoing);
        this.link.failed(outgoing, error);
      },
    );
  }

  /** After a (re)join: sends everything held, oldest first. */
  flush(): void {
    for (const outgoing of this.held.splice(0)) this.send(outgoing);
  }

  /** What waits for the re-join, oldest first. */
  waiting(): readonly OutgoingChat[] {
    return this.held;
  }

  private hold(outgoing: OutgoingChat): void {
    this.held.push(outgoing);
  }
}

const lostWithTheLink = (error: unknown): boolean =>
  !(error instanceof ServerError) || error.code === ErrorCode.NOT_JOINED;
