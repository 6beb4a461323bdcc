import type { Namespace, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from '../protocol/events.js';

/** The `/conference` namespace, typed by the protocol contract. */
export type ConferenceNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  object,
  SocketData
>;

/** One connection to the `/conference` namespace; `data` is set at the handshake. */
export type ConferenceSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  object,
  SocketData
>;
