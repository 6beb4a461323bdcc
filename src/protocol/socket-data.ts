/**
 * Server-only parts of the conference connection: what the server keeps on a socket and the
 * Socket.IO room names it puts sockets in. The web client never imports this file; the wire
 * contract is events.ts.
 */
import type { Role } from './events.js';

/**
 * What the server knows about a connection, from its verified join token; role and name follow
 * the stored participant (an IdP sign-in may change them while the connection is live).
 */
export interface SocketIdentity {
  participantId: string;
  roomId: string;
  displayName: string;
  role: Role;
}

export interface SocketData {
  identity: SocketIdentity;
  connectionId: string;
  joined: boolean;
  /** Between the start of a `room:join` and its end: a replacement sent meanwhile spares it. */
  joining?: boolean;
  /** The presence order of this connection's join (see PresenceJoinResult.seq). */
  joinSeq?: number;
  /** When the join token expires (ISO 8601); the server ends the connection then. */
  tokenExpiresAt: string;
}

/** Socket.IO room names; only the server puts sockets in rooms. */
export const socketRooms = {
  room: (roomId: string) => `room:${roomId}`,
  participant: (participantId: string) => `participant:${participantId}`,
  hosts: (roomId: string) => `hosts:${roomId}`,
  /** Every connection authenticated for the room, joined or waiting in the lobby. */
  connections: (roomId: string) => `connections:${roomId}`,
  /**
   * Every connection of one participant from its handshake on, joined or not: what a kick,
   * a lobby rejection or a replacement ends (`participant:<id>` holds only joined/waiting ones).
   */
  participantConnections: (participantId: string) => `connections:participant:${participantId}`,
};
