import { io, type Socket } from 'socket.io-client';
import type { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  type AckOf,
  CONFERENCE_NAMESPACE,
  type ClientToServerEvents,
  type PayloadOf,
  type ServerEventOf,
  type ServerToClientEvents,
} from '../../src/protocol/events.js';
import { ServerError } from './errors.js';

export type ConferenceSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type RequestName = keyof ClientToServerEvents;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The data of a successful ack, without `ok`. */
export type Reply<E extends RequestName> = DistributiveOmit<Extract<AckOf<E>, { ok: true }>, 'ok'>;
export type ServerEventName = keyof ServerToClientEvents;

export interface ConnectionHandlers {
  /** Every (re)connection, after the handshake was accepted. */
  connected(recovered: boolean): void;
  /** The link dropped and the client is retrying on its own. */
  reconnecting(): void;
  /** The server refused the handshake (bad token, closed room, ...); no retry. */
  refused(code: ErrorCode | undefined, message: string): void;
}

/** One received server event, for the debug log. */
export interface LoggedEvent {
  event: string;
  payload: unknown;
  at: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The /conference Socket.IO connection: the handshake with the join token, typed requests that
 * resolve with the ack's data or reject with a ServerError, and automatic reconnection.
 */
export class Connection {
  readonly socket: ConferenceSocket;
  /** Every server event received, in order (exposed for diagnostics and browser tests). */
  readonly log: LoggedEvent[] = [];
  private closedOnPurpose = false;
  private everConnected = false;
  private moveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(token: string, handlers: ConnectionHandlers) {
    this.socket = io(CONFERENCE_NAMESPACE, {
      auth: { token },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
    });
    this.socket.onAny((event: string, payload: unknown) =>
      this.log.push({ event, payload, at: Date.now() }),
    );
    this.socket.on('connect', () => {
      const recovered = this.everConnected;
      this.everConnected = true;
      handlers.connected(recovered);
    });
    this.socket.on('connect_error', (error: Error & { data?: { code?: ErrorCode } }) => {
      // Refused by the server's handshake check: the socket does not retry these by itself.
      if (!this.socket.active) handlers.refused(error.data?.code, error.message);
      else if (this.everConnected) handlers.reconnecting();
    });
    this.socket.on('disconnect', (reason) => {
      if (this.closedOnPurpose) return;
      handlers.reconnecting();
      // The server closing the connection without ending the session (e.g. a restart): try again.
      if (reason === 'io server disconnect') this.socket.connect();
    });
  }

  open(): void {
    clearTimeout(this.moveTimer);
    this.closedOnPurpose = false;
    this.socket.connect();
  }

  /**
   * Closes the link now and opens it again to the same address after `delayMs`: the server is
   * draining, and the load balancer sends the new connection to a live node.
   */
  move(delayMs: number): void {
    this.close();
    this.moveTimer = setTimeout(() => this.open(), delayMs);
  }

  /** Stops for good (left, removed, room closed): no reconnection. */
  close(): void {
    clearTimeout(this.moveTimer);
    this.closedOnPurpose = true;
    this.socket.disconnect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Sends a request; resolves with the ack's data, rejects with a ServerError. */
  async request<E extends RequestName>(event: E, payload: PayloadOf<E>): Promise<Reply<E>> {
    const timed = this.socket.timeout(REQUEST_TIMEOUT_MS);
    const emit = timed.emitWithAck.bind(timed) as (e: E, p: PayloadOf<E>) => Promise<AckOf<E>>;
    const ack = await emit(event, payload);
    if (!ack.ok) throw ServerError.from(ack.error);
    const { ok: _ok, ...data } = ack;
    return data as Reply<E>;
  }

  on<E extends ServerEventName>(event: E, listener: (payload: ServerEventOf<E>) => void): void {
    (this.socket.on as (e: E, l: (p: ServerEventOf<E>) => void) => void)(event, listener);
  }
}
