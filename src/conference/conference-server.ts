import { Injectable } from '@nestjs/common';
import type { BroadcastOperator } from 'socket.io';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Role, ServerToClientEvents } from '../protocol/events.js';
import { type SocketData, type SocketIdentity, socketRooms } from '../protocol/socket-data.js';
import type { ConferenceNamespace, ConferenceSocket } from './conference-socket.js';

export type ServerEvent<E extends keyof ServerToClientEvents> = Parameters<
  ServerToClientEvents[E]
>[0];
export type SessionEnded = ServerEvent<'session:ended'>;

type Target = BroadcastOperator<ServerToClientEvents, SocketData>;

/**
 * The only code that touches Socket.IO rooms (groups of connections). Callers state intents:
 * put a connection in its groups, end a participant's sessions, tell a room or a participant.
 * Every intent addresses groups on the server side (`socketsJoin`, `disconnectSockets`,
 * `fetchSockets`, emits to groups), so the Redis adapter carries it to other nodes unchanged.
 * The namespace is set once by the gateway at init.
 */
@Injectable()
export class ConferenceServer {
  private namespace: ConferenceNamespace | undefined;

  attach(namespace: ConferenceNamespace): void {
    this.namespace = namespace;
  }

  /** False until the gateway is up (then there is nobody to tell yet). */
  get ready(): boolean {
    return this.namespace !== undefined;
  }

  /** The raw namespace, for tests that cut a connection under a client; code uses the intents. */
  get io(): ConferenceNamespace {
    if (!this.namespace)
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Conference server not ready');
    return this.namespace;
  }

  /**
   * Puts a connection still in its handshake (so on this node) in the groups that reach every
   * connection of its room and of its participant, joined or not.
   */
  async admitConnection(socket: ConferenceSocket): Promise<void> {
    const { roomId, participantId } = socket.data.identity;
    await socket.join([
      socketRooms.connections(roomId),
      socketRooms.participantConnections(participantId),
    ]);
  }

  /** The connection now acts as `identity`; false when it is gone. */
  async setIdentity(socketId: string, identity: SocketIdentity): Promise<boolean> {
    const sockets = await this.io.in(socketId).fetchSockets();
    for (const socket of sockets) socket.data.identity = identity;
    return sockets.length > 0;
  }

  /** A connection waiting in the lobby: reachable as its participant (to be admitted or not). */
  enterLobby(socketId: string, participantId: string): void {
    this.io.in(socketId).socketsJoin(socketRooms.participant(participantId));
  }

  /** A joined connection: in its room's, its participant's and (for hosts) the hosts' groups. */
  async enterRoom(socketId: string, identity: SocketIdentity): Promise<void> {
    const groups = [
      socketRooms.room(identity.roomId),
      socketRooms.participant(identity.participantId),
    ];
    if (identity.role === 'host') groups.push(socketRooms.hosts(identity.roomId));
    this.io.in(socketId).socketsJoin(groups);
    for (const socket of await this.io.in(socketId).fetchSockets()) socket.data.joined = true;
  }

  /**
   * Out of every group that reaches a joined participant, their personal one included: a
   * connection that left receives no private messages even while it stays connected.
   */
  async leaveRoom(socketId: string, identity: SocketIdentity): Promise<void> {
    for (const socket of await this.io.in(socketId).fetchSockets()) socket.data.joined = false;
    this.io
      .in(socketId)
      .socketsLeave([
        socketRooms.room(identity.roomId),
        socketRooms.hosts(identity.roomId),
        socketRooms.participant(identity.participantId),
      ]);
  }

  /** Every connection of the participant acts with the new name and role; joined ones move in or out of the hosts' group. */
  async updateIdentity(
    roomId: string,
    participantId: string,
    change: { displayName: string; role: Role },
  ): Promise<void> {
    const sockets = await this.io.in(socketRooms.participant(participantId)).fetchSockets();
    for (const socket of sockets) {
      socket.data.identity = { ...socket.data.identity, ...change };
      if (!socket.data.joined) continue;
      if (change.role === 'host') socket.join(socketRooms.hosts(roomId));
      else socket.leave(socketRooms.hosts(roomId));
    }
  }

  /**
   * Tells every connection of the participant (joined, waiting, or only authenticated) why, then
   * disconnects them; `exceptSocketId` is spared.
   */
  endSessions(participantId: string, ended: SessionEnded, exceptSocketId?: string): void {
    const group = this.io.in(socketRooms.participantConnections(participantId));
    this.end(exceptSocketId === undefined ? group : group.except(exceptSocketId), ended);
  }

  /** Tells one connection why, then disconnects it (by its own group). */
  endConnection(socketId: string, ended: SessionEnded): void {
    this.end(this.io.in(socketId), ended);
  }

  /** Tells every connection of the room (joined or not) why, then disconnects them. */
  endRoom(roomId: string, ended: SessionEnded): void {
    this.end(this.io.in(socketRooms.connections(roomId)), ended);
  }

  /** Tells every connection of the namespace why, then disconnects them (shutdown). */
  endAll(ended: SessionEnded): void {
    this.io.emit('session:ended', ended);
    this.io.disconnectSockets(true);
  }

  /** To the joined connections of the room, but not to one connection or one participant's. */
  tellRoom<E extends keyof ServerToClientEvents>(
    roomId: string,
    event: E,
    payload: ServerEvent<E>,
    except: { socketId?: string; participantId?: string } = {},
  ): void {
    let target = this.io.to(socketRooms.room(roomId));
    if (except.socketId !== undefined) target = target.except(except.socketId);
    if (except.participantId !== undefined)
      target = target.except(socketRooms.participant(except.participantId));
    emit(target, event, payload);
  }

  /** To the joined hosts of the room. */
  tellHosts<E extends keyof ServerToClientEvents>(
    roomId: string,
    event: E,
    payload: ServerEvent<E>,
  ): void {
    emit(this.io.to(socketRooms.hosts(roomId)), event, payload);
  }

  /** To the participants' joined (or waiting) connections, but not to `exceptSocketId`. */
  tellParticipants<E extends keyof ServerToClientEvents>(
    participantIds: string[],
    event: E,
    payload: ServerEvent<E>,
    exceptSocketId?: string,
  ): void {
    const target = this.io.to(participantIds.map((id) => socketRooms.participant(id)));
    emit(exceptSocketId ? target.except(exceptSocketId) : target, event, payload);
  }

  private end(target: Target, ended: SessionEnded): void {
    target.emit('session:ended', ended);
    target.disconnectSockets(true);
  }
}

function emit<E extends keyof ServerToClientEvents>(
  target: Target,
  event: E,
  payload: ServerEvent<E>,
): void {
  target.emit(event, ...([payload] as Parameters<ServerToClientEvents[E]>));
}
