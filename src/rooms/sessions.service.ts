import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ConferenceServer } from '../conference/conference-server.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  JoinedResult,
  LeaveReason,
  LobbyEntry,
  ParticipantView,
  ServerToClientEvents,
  SocketIdentity,
  socketRooms,
  WaitingResult,
} from '../protocol/events.js';
import { PresenceEntry, PresenceStore } from './presence/presence.store.js';
import { RoomEvents } from './room-events.js';
import { RoomsService } from './rooms.service.js';

type SessionEnded = Parameters<ServerToClientEvents['session:ended']>[0];

const KICKED_ENDING: SessionEnded = {
  reason: 'kicked',
  code: ErrorCode.TOKEN_REVOKED,
  message: 'A host removed you from the room',
};
const REJECTED_ENDING: SessionEnded = {
  reason: 'kicked',
  code: ErrorCode.LOBBY_REJECTED,
  message: 'A host declined your request to join',
};
const ROOM_CLOSED_ENDING: SessionEnded = {
  reason: 'room-closed',
  code: ErrorCode.ROOM_CLOSED,
  message: 'This room was closed',
};

const toView = (e: PresenceEntry): ParticipantView => ({
  participantId: e.participantId,
  displayName: e.displayName,
  role: e.role,
  joinedAt: e.joinedAt.toISOString(),
});

/** Live sessions: joining, leaving, the lobby, kicking and closing, over presence + sockets. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger('SessionsService');

  constructor(
    private readonly rooms: RoomsService,
    private readonly presence: PresenceStore,
    private readonly server: ConferenceServer,
    private readonly events: RoomEvents,
  ) {}

  /**
   * Joins the connection to its room, or parks it in the lobby. A second connection of the same
   * participant replaces the first; capacity is checked atomically by the presence store.
   */
  async join(connection: SocketIdentity, socketId: string): Promise<JoinedResult | WaitingResult> {
    const room = await this.rooms.getOpen(connection.roomId);
    const participant = await this.rooms.getParticipant(room.id, connection.participantId);
    if (participant.revokedAt)
      throw new DomainError(ErrorCode.TOKEN_REVOKED, 'You were removed from this room');
    if (participant.admission === 'rejected') {
      throw new DomainError(ErrorCode.LOBBY_REJECTED, 'A host declined your request to join');
    }
    const socket = this.server.io.sockets.get(socketId);
    if (!socket) throw new DomainError(ErrorCode.NOT_JOINED, 'Connection closed');
    // Role and name as stored now: an IdP sign-in since this connection's handshake may have
    // changed them (a host demoted there joins as who they are now).
    const identity: SocketIdentity = {
      ...connection,
      displayName: participant.displayName,
      role: participant.role,
    };
    socket.data.identity = identity;

    if (participant.admission === 'pending') {
      const waiter = {
        roomId: room.id,
        participantId: identity.participantId,
        displayName: identity.displayName,
        socketId,
        waitingSince: new Date(),
      };
      await this.presence.enqueueLobby(waiter);
      await socket.join(socketRooms.participant(identity.participantId));
      this.server.io.to(socketRooms.hosts(room.id)).emit('lobby:waiting', {
        participantId: waiter.participantId,
        displayName: waiter.displayName,
        waitingSince: waiter.waitingSince.toISOString(),
      });
      return { status: 'waiting' };
    }

    const entry: PresenceEntry = { ...identity, socketId, joinedAt: new Date() };
    const result = await this.presence.join(entry, room.maxParticipants);
    if (!result.ok) throw new DomainError(ErrorCode.ROOM_FULL, 'This room is full');
    if (result.replacedSocketId) {
      // Every other connection of this participant ends, joined or not; this one stays.
      this.endConnections(
        identity.participantId,
        { reason: 'replaced', message: 'You joined from another connection' },
        socketId,
      );
    }

    const memberships = [
      socketRooms.room(room.id),
      socketRooms.participant(identity.participantId),
    ];
    if (identity.role === 'host') memberships.push(socketRooms.hosts(room.id));
    await socket.join(memberships);
    socket.data.joined = true;

    const everyone = await this.presence.list(room.id);
    const self = everyone.find((e) => e.participantId === identity.participantId) ?? entry;
    // A repeated room:join on the same connection changes nothing and announces nothing.
    if (!result.replacedSocketId && !result.alreadyJoined) {
      socket.to(socketRooms.room(room.id)).emit('participant:joined', toView(self));
      this.events.emit('participant.joined', {
        roomId: room.id,
        participantId: identity.participantId,
      });
    }
    return {
      status: 'joined',
      room: { id: room.id, name: room.name },
      self: toView(self),
      participants: everyone.map(toView),
    };
  }

  /**
   * Brings a live session in line with the participant's current role and name (after an IdP
   * sign-in changed them): presence, the connections' identity and host group; the room is told.
   */
  async applyIdentity(identity: SocketIdentity): Promise<void> {
    const { roomId, participantId, displayName, role } = identity;
    const entry = await this.presence.get(roomId, participantId);
    if (!entry || (entry.role === role && entry.displayName === displayName)) return;
    const updated = await this.presence.update(roomId, participantId, { displayName, role });
    if (!updated) return;
    const sockets = await this.server.io.in(socketRooms.participant(participantId)).fetchSockets();
    for (const socket of sockets) {
      socket.data.identity = { ...socket.data.identity, displayName, role };
      if (!socket.data.joined) continue;
      if (role === 'host') socket.join(socketRooms.hosts(roomId));
      else socket.leave(socketRooms.hosts(roomId));
    }
    this.server.io.to(socketRooms.room(roomId)).emit('participant:updated', toView(updated));
    this.logger.log({ roomId, participantId, role }, 'participant identity updated');
  }

  /**
   * Ends a connection whose participant was removed or whose room closed while it was
   * still in its handshake: a group disconnect does not reach a socket that has not connected
   * yet, so the standing is read again once it has (and the group reaches it from then on).
   */
  async confirmConnected(identity: SocketIdentity, socketId: string): Promise<void> {
    const room = await this.rooms.get(identity.roomId);
    const participant = await this.rooms.getParticipant(room.id, identity.participantId);
    // What the handshake refuses (a rejected guest may connect, and is refused at room:join).
    const ended = room.closedAt
      ? ROOM_CLOSED_ENDING
      : participant.revokedAt
        ? KICKED_ENDING
        : undefined;
    if (ended) this.endConnection(socketId, ended);
  }

  /** Ends a connection whose join token expired: out of the room (as `expired`), then closed. */
  async expire(identity: SocketIdentity, socketId: string): Promise<void> {
    await this.leave(identity, socketId, 'expired');
    this.endConnection(socketId, {
      reason: 'expired',
      code: ErrorCode.TOKEN_EXPIRED,
      message: 'Your join link has expired',
    });
  }

  /** Removes the participant if `socketId` is still their connection; tells the room why. */
  async leave(identity: SocketIdentity, socketId: string, reason: LeaveReason): Promise<void> {
    await this.presence
      .dequeueLobby(identity.roomId, identity.participantId, socketId)
      .then((waiter) => {
        if (waiter)
          this.server.io
            .to(socketRooms.hosts(identity.roomId))
            .emit('lobby:left', { participantId: waiter.participantId });
      });
    const entry = await this.presence.leave(identity.roomId, identity.participantId, socketId);
    const socket = this.server.io.sockets.get(socketId);
    if (socket) {
      socket.data.joined = false;
      // Out of every group that reaches a joined participant, their personal one included: a
      // connection that left receives no private messages even while it stays connected.
      await Promise.all([
        socket.leave(socketRooms.room(identity.roomId)),
        socket.leave(socketRooms.hosts(identity.roomId)),
        socket.leave(socketRooms.participant(identity.participantId)),
      ]);
    }
    if (entry) this.announceLeft(identity.roomId, identity.participantId, reason);
  }

  async isPresent(roomId: string, participantId: string): Promise<PresenceEntry | undefined> {
    return this.presence.get(roomId, participantId);
  }

  async live(roomId: string): Promise<ParticipantView[]> {
    await this.rooms.get(roomId);
    return (await this.presence.list(roomId)).map(toView);
  }

  /** Removes a participant for good: revokes their identity, then disconnects them. */
  async kick(roomId: string, participantId: string): Promise<void> {
    await this.rooms.revokeParticipant(roomId, participantId);
    const waiter = await this.presence.dequeueLobby(roomId, participantId);
    if (waiter) this.server.io.to(socketRooms.hosts(roomId)).emit('lobby:left', { participantId });
    const entry = await this.presence.leave(roomId, participantId);
    this.endConnections(participantId, KICKED_ENDING);
    if (entry) this.announceLeft(roomId, participantId, 'kicked');
  }

  /** Closes the room: stored as closed first (no new joins or tokens), then everyone is told. */
  async close(roomId: string): Promise<void> {
    await this.rooms.markClosed(roomId);
    const entries = await this.presence.clearRoom(roomId);
    // Every connection of the room, joined or not, is in its connections group.
    const everyone = this.server.io.in(socketRooms.connections(roomId));
    everyone.emit('session:ended', ROOM_CLOSED_ENDING);
    everyone.disconnectSockets(true);
    for (const entry of entries)
      this.events.emit('participant.left', {
        roomId,
        participantId: entry.participantId,
        reason: 'room-closed',
      });
    this.events.emit('room.closed', { roomId });
    this.logger.log({ roomId, participants: entries.length }, 'room closed');
  }

  async lobby(roomId: string): Promise<LobbyEntry[]> {
    await this.rooms.get(roomId);
    return (await this.presence.listLobby(roomId)).map((w) => ({
      participantId: w.participantId,
      displayName: w.displayName,
      waitingSince: w.waitingSince.toISOString(),
    }));
  }

  /** Admits a lobby guest: stored, so reconnects skip the lobby; the guest then joins. */
  async admit(roomId: string, participantId: string): Promise<void> {
    const participant = await this.rooms.assertLobbyDecision(roomId, participantId, 'admit');
    if (participant.admission === 'admitted') return;
    await this.rooms.setAdmission(participantId, 'admitted');
    await this.presence.dequeueLobby(roomId, participantId);
    this.server.io.to(socketRooms.hosts(roomId)).emit('lobby:left', { participantId });
    this.server.io.to(socketRooms.participant(participantId)).emit('lobby:admitted', {});
  }

  /** Rejects a lobby guest; someone already admitted must be removed (kicked) instead. */
  async reject(roomId: string, participantId: string): Promise<void> {
    await this.rooms.assertLobbyDecision(roomId, participantId, 'reject');
    await this.rooms.setAdmission(participantId, 'rejected');
    await this.presence.dequeueLobby(roomId, participantId);
    this.server.io.to(socketRooms.hosts(roomId)).emit('lobby:left', { participantId });
    this.server.io.to(socketRooms.participant(participantId)).emit('lobby:rejected', {});
    this.endConnections(participantId, REJECTED_ENDING);
  }

  private announceLeft(roomId: string, participantId: string, reason: LeaveReason): void {
    this.server.io.to(socketRooms.room(roomId)).emit('participant:left', { participantId, reason });
    this.events.emit('participant.left', { roomId, participantId, reason });
  }

  /**
   * Tells every connection of the participant (joined, waiting, or only authenticated) why, then
   * disconnects them; `exceptSocketId` is spared. Server-side groups, so with the Redis adapter
   * this reaches the participant's connections on every node.
   */
  private endConnections(
    participantId: string,
    ended: SessionEnded,
    exceptSocketId?: string,
  ): void {
    const group = this.server.io.in(socketRooms.participantConnections(participantId));
    const target = exceptSocketId === undefined ? group : group.except(exceptSocketId);
    target.emit('session:ended', ended);
    target.disconnectSockets(true);
  }

  /** Tells one connection why, then disconnects it (by its own group: the adapter carries it). */
  private endConnection(socketId: string, ended: SessionEnded): void {
    const target = this.server.io.in(socketId);
    target.emit('session:ended', ended);
    target.disconnectSockets(true);
  }
}
