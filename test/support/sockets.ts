import { Fetch, io, Socket } from 'socket.io-client';
import {
  type AckOf,
  CONFERENCE_NAMESPACE,
  type ClientToServerEvents,
  type PayloadOf,
  type ServerEventOf,
  type ServerToClientEvents,
} from '../../src/protocol/events.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** socket.io packet type of an ack; ack ids above the client's own for requestJson. */
const ACK = 3;
let rawAckIds = 1_000_000;

/** A connected client plus everything the server sent it, in order. */
export class TestClient {
  readonly received: { event: string; payload: unknown }[] = [];

  constructor(readonly socket: ClientSocket) {
    socket.onAny((event: string, payload: unknown) => this.received.push({ event, payload }));
  }

  /** Sends an event and resolves with its ack (rejects if none arrives in time). */
  request<E extends keyof ClientToServerEvents>(
    event: E,
    payload: PayloadOf<E>,
    timeoutMs = 5000,
  ): Promise<AckOf<E>> {
    return (
      this.socket.timeout(timeoutMs).emitWithAck as (e: string, p: unknown) => Promise<AckOf<E>>
    )(event, payload);
  }

  /** Sends a raw, possibly malformed payload (for bad-input tests). */
  requestRaw(event: string, ...args: unknown[]): Promise<unknown> {
    return (
      this.socket.timeout(5000).emitWithAck as (e: string, ...a: unknown[]) => Promise<unknown>
    )(event, ...args);
  }

  /**
   * Sends `event` with a payload given as JSON text, written straight onto the connection, and
   * resolves with the ack. For payloads socket.io-client cannot encode itself (its encoder
   * recurses, so 100k levels of nesting overflow the test's own stack).
   */
  requestJson(event: string, payloadJson: string, timeoutMs = 5000): Promise<unknown> {
    const id = (rawAckIds += 1);
    const manager = this.socket.io;
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        manager.off('packet', onPacket);
        this.socket.off('disconnect', onDisconnect);
        settle();
      };
      const onPacket = (packet: { type: number; nsp: string; id?: number; data?: unknown[] }) => {
        if (packet.type === ACK && packet.nsp === CONFERENCE_NAMESPACE && packet.id === id)
          done(() => resolve(packet.data?.[0]));
      };
      const onDisconnect = (reason: string) =>
        done(() => reject(new Error(`disconnected before the ack: ${reason}`)));
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      manager.on('packet', onPacket);
      this.socket.on('disconnect', onDisconnect);
      // A socket.io EVENT packet (type 2) for our namespace, with an ack id, as engine.io text.
      const packet = `2${CONFERENCE_NAMESPACE},${id}[${JSON.stringify(event)},${payloadJson}]`;
      (manager.engine as unknown as { write(data: string): void }).write(packet);
    });
  }

  events<E extends keyof ServerToClientEvents>(event: E): ServerEventOf<E>[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as ServerEventOf<E>);
  }

  /** Resolves with the first matching event, already received or arriving within the timeout. */
  waitFor<E extends keyof ServerToClientEvents>(
    event: E,
    predicate: (payload: ServerEventOf<E>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<ServerEventOf<E>> {
    const seen = this.events(event).find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.offAny(listener);
        reject(new Error(`timed out waiting for ${event}`));
      }, timeoutMs);
      const listener = (name: string, payload: unknown) => {
        if (name === event && predicate(payload as ServerEventOf<E>)) {
          clearTimeout(timer);
          this.socket.offAny(listener);
          resolve(payload as ServerEventOf<E>);
        }
      };
      this.socket.onAny(listener);
    });
  }

  waitForDisconnect(timeoutMs = 5000): Promise<string> {
    if (!this.socket.connected) return Promise.resolve('already disconnected');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('timed out waiting for disconnect')),
        timeoutMs,
      );
      this.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

export type TransportName = 'websocket' | 'polling';

/**
 * Connects to /conference with a join token; resolves once connected, rejects with the
 * connect_error. `headers` go on the handshake request (e.g. X-Forwarded-For, as from a proxy,
 * or Origin, as from a browser: polling uses fetch, whose requests may carry one).
 */
export function connect(
  baseUrl: string,
  token: string | undefined,
  extraAuth: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  transport: TransportName = 'websocket',
): Promise<TestClient> {
  const socket: ClientSocket = io(`${baseUrl}${CONFERENCE_NAMESPACE}`, {
    auth: token === undefined ? extraAuth : { token, ...extraAuth },
    extraHeaders: headers,
    transports: transport === 'polling' ? [Fetch] : ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const client = new TestClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
      socket.close();
      reject(error);
    });
  });
}

/** Connects and joins; fails the test if either step fails. */
export async function connectAndJoin(baseUrl: string, token: string): Promise<TestClient> {
  const client = await connect(baseUrl, token);
  const ack = await client.request('room:join', {});
  if (!ack.ok) throw new Error(`join failed: ${ack.error.code} ${ack.error.message}`);
  return client;
}

/** Resolves with the connect_error code of a connection attempt that must fail. */
export async function connectError(
  baseUrl: string,
  token: string | undefined,
  extraAuth: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  transport: TransportName = 'websocket',
): Promise<string | undefined> {
  try {
    const client = await connect(baseUrl, token, extraAuth, headers, transport);
    client.close();
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code;
  }
  throw new Error('connection unexpectedly succeeded');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
