import type { Namespace, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.js';
import type { SocketData } from '../protocol/socket-data.js';

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
