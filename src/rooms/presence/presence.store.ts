import type { Role } from '../../protocol/events.js';

export interface PresenceEntry {
  roomId: string;
  participantId: string;
  displayName: string;
  role: Role;
  /** The one live connection of this participant (a newer one replaces it). */
  socketId: string;
  /** The node that holds the connection: when it dies, the entry goes with it. */
  nodeId: string;
  joinedAt: Date;
}

export interface LobbyWaiter {
  roomId: string;
  participantId: string;
  displayName: string;
  socketId: string;
  nodeId: string;
  waitingSince: Date;
}

export type PresenceJoinResult =
  | {
      ok: true;
      /** The participant's previous connection, now replaced. */
      replacedSocketId: string | undefined;
      /** This very connection had already joined: nothing changed. */
      alreadyJoined: boolean;
      /**
       * The order of this join among every join (increasing across nodes): a replacement ends
       * only the participant's connections that joined before it, never a newer one.
       */
      seq: number;
    }
  | { ok: false; reason: 'full' };

/** What a dead node held, removed in one step. */
export interface NodePresence {
  entries: PresenceEntry[];
  waiters: LobbyWaiter[];
}

/**
 * Who is connected where. The first implementation is in memory (one node); the scale-out one
 * is Redis. Every operation that decides (capacity, replacement) is a single atomic call.
 */
export abstract class PresenceStore {
  /** Adds or replaces the participant's connection, unless the room is at capacity. */
  abstract join(entry: PresenceEntry, maxParticipants: number | null): Promise<PresenceJoinResult>;
  /** Removes the participant; with `socketId`, only while that connection is still the current one. */
  abstract leave(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<PresenceEntry | undefined>;
  abstract get(roomId: string, participantId: string): Promise<PresenceEntry | undefined>;
  /** Sets a present participant's role and name; returns the updated entry, if present. */
  abstract update(
    roomId: string,
    participantId: string,
    changes: Pick<PresenceEntry, 'displayName' | 'role'>,
  ): Promise<PresenceEntry | undefined>;
  abstract list(roomId: string): Promise<PresenceEntry[]>;
  /** How many participants are in the room (without reading who). */
  abstract size(roomId: string): Promise<number>;
  /** Removes everyone from the room (and its lobby), returning who was there. */
  abstract clearRoom(roomId: string): Promise<PresenceEntry[]>;

  abstract enqueueLobby(waiter: LobbyWaiter): Promise<void>;
  abstract dequeueLobby(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<LobbyWaiter | undefined>;
  abstract listLobby(roomId: string): Promise<LobbyWaiter[]>;

  /**
   * Removes every entry and lobby waiter whose connection is on `nodeId`, returning them; a
   * second call (another node seeing the same death) finds nothing.
   */
  abstract removeNode(nodeId: string): Promise<NodePresence>;
}
