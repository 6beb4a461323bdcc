import { Injectable } from '@nestjs/common';
import {
  LobbyWaiter,
  NodePresence,
  PresenceEntry,
  PresenceJoinResult,
  PresenceStore,
} from './presence.store.js';

/** Single-node presence. Each method runs without awaiting, so it is atomic on this node. */
@Injectable()
export class InMemoryPresenceStore extends PresenceStore {
  private readonly rooms = new Map<string, Map<string, PresenceEntry>>();
  private readonly lobbies = new Map<string, Map<string, LobbyWaiter>>();
  private joins = 0;

  join(entry: PresenceEntry, maxParticipants: number | null): Promise<PresenceJoinResult> {
    const room = this.rooms.get(entry.roomId) ?? new Map<string, PresenceEntry>();
    const existing = room.get(entry.participantId);
    if (!existing && maxParticipants !== null && room.size >= maxParticipants) {
      return Promise.resolve({ ok: false, reason: 'full' });
    }
    room.set(entry.participantId, { ...entry, joinedAt: existing?.joinedAt ?? entry.joinedAt });
    this.rooms.set(entry.roomId, room);
    const alreadyJoined = existing?.socketId === entry.socketId;
    const replaced = existing && !alreadyJoined ? existing.socketId : undefined;
    this.joins += 1;
    return Promise.resolve({
      ok: true,
      replacedSocketId: replaced,
      alreadyJoined,
      seq: this.joins,
    });
  }

  leave(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<PresenceEntry | undefined> {
    const room = this.rooms.get(roomId);
    const entry = room?.get(participantId);
    if (!room || !entry || (socketId !== undefined && entry.socketId !== socketId)) {
      return Promise.resolve(undefined);
    }
    room.delete(participantId);
    if (room.size === 0) this.rooms.delete(roomId);
    return Promise.resolve(entry);
  }

  get(roomId: string, participantId: string): Promise<PresenceEntry | undefined> {
    return Promise.resolve(this.rooms.get(roomId)?.get(participantId));
  }

  update(
    roomId: string,
    participantId: string,
    changes: Pick<PresenceEntry, 'displayName' | 'role'>,
  ): Promise<PresenceEntry | undefined> {
    const room = this.rooms.get(roomId);
    const entry = room?.get(participantId);
    if (!room || !entry) return Promise.resolve(undefined);
    const updated = { ...entry, ...changes };
    room.set(participantId, updated);
    return Promise.resolve(updated);
  }

  list(roomId: string): Promise<PresenceEntry[]> {
    return Promise.resolve([...(this.rooms.get(roomId)?.values() ?? [])]);
  }

  size(roomId: string): Promise<number> {
    return Promise.resolve(this.rooms.get(roomId)?.size ?? 0);
  }

  clearRoom(roomId: string): Promise<PresenceEntry[]> {
    const entries = [...(this.rooms.get(roomId)?.values() ?? [])];
    this.rooms.delete(roomId);
    this.lobbies.delete(roomId);
    return Promise.resolve(entries);
  }

  enqueueLobby(waiter: LobbyWaiter): Promise<void> {
    const lobby = this.lobbies.get(waiter.roomId) ?? new Map<string, LobbyWaiter>();
    const existing = lobby.get(waiter.participantId);
    lobby.set(waiter.participantId, {
      ...waiter,
      waitingSince: existing?.waitingSince ?? waiter.waitingSince,
    });
    this.lobbies.set(waiter.roomId, lobby);
    return Promise.resolve();
  }

  dequeueLobby(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<LobbyWaiter | undefined> {
    const lobby = this.lobbies.get(roomId);
    const waiter = lobby?.get(participantId);
    if (!lobby || !waiter || (socketId !== undefined && waiter.socketId !== socketId)) {
      return Promise.resolve(undefined);
    }
    lobby.delete(participantId);
    if (lobby.size === 0) this.lobbies.delete(roomId);
    return Promise.resolve(waiter);
  }

  listLobby(roomId: string): Promise<LobbyWaiter[]> {
    return Promise.resolve([...(this.lobbies.get(roomId)?.values() ?? [])]);
  }

  removeNode(nodeId: string): Promise<NodePresence> {
    return Promise.resolve({
      entries: takeNode(this.rooms, nodeId),
      waiters: takeNode(this.lobbies, nodeId),
    });
  }
}

/** Removes, from every room's map, the people whose connection is on `nodeId`. */
function takeNode<T extends { participantId: string; nodeId: string }>(
  rooms: Map<string, Map<string, T>>,
  nodeId: string,
): T[] {
  const taken: T[] = [];
  for (const [roomId, people] of rooms) {
    for (const person of people.values()) {
      if (person.nodeId !== nodeId) continue;
      people.delete(person.participantId);
      taken.push(person);
    }
    if (people.size === 0) rooms.delete(roomId);
  }
  return taken;
}
