/**
 * One participant of the reliability load: connects to its node (another when that one is down),
 * joins, and joins again after any disconnect, as the web client does. Everything it receives is
 * handed to its load, which checks it.
 */
import type { Socket } from 'socket.io-client';
import type { ChatMessage, ChatSendPayload } from '../../src/protocol/events.js';
import { connectSocket } from '../load.js';

/** What the participant reports to the load it belongs to. */
export interface ParticipantHost {
  readonly running: boolean;
  /** The nodes' URLs, in the order a participant whose home is node 0 tries them. */
  urls(): string[];
  received(receiver: LoadParticipant, message: ChatMessage): void;
}

export type SendReply =
  | { ok: true; message: ChatMessage }
  | { ok: false; error: { code: string; message: string } }
  | { ok: false; noAck: string };

const ACK_TIMEOUT_MS = 10_000;
const RECONNECT_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LoadParticipant {
  private socket: Socket | undefined;
  private reconnecting: Promise<void> | undefined;
  joined = false;
  /** The node it is connected to now (index into host.urls()). */
  node: number;
  reconnects = 0;

  constructor(
    private readonly host: ParticipantHost,
    readonly roomId: string,
    readonly participantId: string,
    readonly name: string,
    private readonly token: string,
    /** The node it connects to first. */
    readonly home: number,
  ) {
    this.node = home;
  }

  /** Connects and joins, trying its home node first; rejects only if no node accepts it. */
  async connect(): Promise<void> {
    const urls = this.host.urls();
    let lastError: unknown;
    for (let k = 0; k < urls.length; k++) {
      const node = (this.home + k) % urls.length;
      try {
        await this.joinAt(node, urls[node]);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  private async joinAt(node: number, url: string): Promise<void> {
    const socket = await connectSocket(url, { token: this.token });
    const ack = (await socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('room:join', {})
      .catch(() => ({ ok: false }))) as { ok: boolean; error?: { code: string } };
    if (!ack.ok) {
      socket.close();
      throw new Error(`join refused: ${ack.error?.code ?? 'no ack'}`);
    }
    socket.on('chat:message', (message: ChatMessage) => this.host.received(this, message));
    socket.once('disconnect', () => {
      if (this.socket !== socket) return;
      this.joined = false;
      if (this.host.running) void this.reconnect();
    });
    const previous = this.socket;
    this.socket = socket;
    this.node = node;
    this.joined = true;
    previous?.close();
  }

  /** Joins again until it succeeds (or the load stops). */
  reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      this.reconnects += 1;
      while (this.host.running && !this.joined) {
        await this.connect().catch(() => sleep(RECONNECT_MS));
      }
    })().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  /** Sends one message; a connection lost (or silent) before the ack is `noAck`. */
  async send(payload: ChatSendPayload): Promise<SendReply> {
    const socket = this.socket;
    if (!socket || !this.joined) return { ok: false, noAck: 'not connected' };
    try {
      return (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('chat:send', payload)) as SendReply;
    } catch (error) {
      return { ok: false, noAck: error instanceof Error ? error.message : String(error) };
    }
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.joined = false;
    socket?.close();
  }
}
