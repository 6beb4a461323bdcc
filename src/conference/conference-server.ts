import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { BroadcastOperator } from 'socket.io';
import { NodeDirectory } from '../cluster/node-directory.js';
import { NodeRpc } from '../cluster/node-rpc.js';
import { assertUnreachable, DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Role, ServerToClientEvents } from '../protocol/events.js';
import { type SocketData, type SocketIdentity, socketRooms } from '../protocol/socket-data.js';
import type { ConferenceNamespace, ConferenceSocket } from './conference-socket.js';

export type ServerEvent<E extends keyof ServerToClientEvents> = Parameters<
  ServerToClientEvents[E]
>[0];
export type SessionEnded = ServerEvent<'session:ended'>;

type Target = BroadcastOperator<ServerToClientEvents, SocketData>;

/** A change to connections' server-side state, applied by the node that holds them. */
type ConnectionChange =
  | { op: 'identity'; socketId: string; identity: SocketIdentity }
  | { op: 'settle'; socketId: string }
  | {
      op: 'replace';
      participantId: string;
      bySocketId: string;
      bySeq: number;
      replacedSocketId: string;
      ended: SessionEnded;
    }
  | { op: 'lobby'; socketId: string; participantId: string }
  | { op: 'enter'; socketId: string; identity: SocketIdentity; seq: number }
  | { op: 'leave'; socketId: string; identity: SocketIdentity }
  | { op: 'end'; participantId: string; ended: SessionEnded }
  | { op: 'update'; roomId: string; participantId: string; change: IdentityChange };
type IdentityChange = { displayName: string; role: Role };

declare module '../cluster/node-rpc.js' {
  interface NodeRequests {
    /** Applies a change to the asked node's own connections; answers how many it touched. */
    'conference.connections': { request: ConnectionChange; response: number };
  }
}

/**
 * The only code that touches Socket.IO rooms (groups of connections). Callers state intents:
 * put a connection in its groups, end a participant's sessions, tell a room or a participant.
 * Emits, disconnects and group changes addressed to groups go through the adapter, so the Redis
 * adapter carries them to every node. What lives on a socket object (`socket.data`: identity,
 * joined) can only be changed by the node holding it: a change for a connection this node holds
 * is applied here, any other is sent to every node (NodeRpc), each applying it to its own.
 * The namespace is set once by the gateway at init.
 */
@Injectable()
export class ConferenceServer implements OnModuleInit {
  private readonly logger = new Logger('ConferenceServer');
  private namespace: ConferenceNamespace | undefined;

  constructor(
    private readonly rpc: NodeRpc,
    private readonly nodes: NodeDirectory,
  ) {}

  onModuleInit(): void {
    this.rpc.handle('conference.connections', (change) => Promise.resolve(this.applyHere(change)));
  }

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

  /**
   * The connection now acts as `identity` and is joining (until `enterRoom`, `enterLobby` or
   * `settleJoin`); false when it is gone (on every node).
   */
  async setIdentity(socketId: string, identity: SocketIdentity): Promise<boolean> {
    return (await this.onConnection({ op: 'identity', socketId, identity })) > 0;
  }

  /** A connection waiting in the lobby: reachable as its participant (to be admitted or not). */
  async enterLobby(socketId: string, participantId: string): Promise<void> {
    await this.onConnection({ op: 'lobby', socketId, participantId });
  }

  /**
   * A joined connection (the `seq`-th join): in its room's, its participant's and (for hosts)
   * the hosts' groups.
   */
  async enterRoom(socketId: string, identity: SocketIdentity, seq: number): Promise<void> {
    await this.onConnection({ op: 'enter', socketId, identity, seq });
  }

  /** A join that ended without entering (refused, failed): the connection is no longer joining. */
  async settleJoin(socketId: string): Promise<void> {
    await this.onConnection({ op: 'settle', socketId });
  }

  /**
   * A replacement by the `bySeq`-th join (of `bySocketId`): every connection of the participant,
   * on every node, that joined before it or never joined is told why and disconnected. One that
   * joined after it, or is joining right now, is spared: of two tabs joining at once, the later
   * join in presence stays and the other ends, whatever order the two replacements arrive in.
   */
  async replaceSessions(
    participantId: string,
    by: { socketId: string; seq: number },
    replacedSocketId: string,
    ended: SessionEnded,
  ): Promise<void> {
    // The connection presence replaced ends through the adapter, so that ending it never depends
    // on a request to another node arriving; the node requests end the rest.
    this.endConnection(replacedSocketId, ended);
    await this.onEveryNode({
      op: 'replace',
      participantId,
      bySocketId: by.socketId,
      bySeq: by.seq,
      replacedSocketId,
      ended,
    });
  }

  /**
   * Out of every group that reaches a joined participant, their personal one included: a
   * connection that left receives no private messages even while it stays connected.
   */
  async leaveRoom(socketId: string, identity: SocketIdentity): Promise<void> {
    await this.onConnection({ op: 'leave', socketId, identity });
  }

  /**
   * Every connection of the participant, on every node, acts with the new name and role; joined
   * ones move in or out of the hosts' group.
   */
  async updateIdentity(
    roomId: string,
    participantId: string,
    change: IdentityChange,
  ): Promise<void> {
    await this.onEveryNode({ op: 'update', roomId, participantId, change });
  }

  /**
   * Tells every connection of the participant (joined, waiting, or only authenticated) why, then
   * disconnects them.
   */
  endSessions(participantId: string, ended: SessionEnded): void {
    this.end(this.io.in(socketRooms.participantConnections(participantId)), ended);
  }

  /**
   * Like `endSessions`, but resolves only once every live node has ended the participant's
   * connections it holds (a node request each, applied in the handler's turn): from then on no
   * node delivers anything to them, not even what a node of theirs sends to their room before the
   * adapter's entries reach it. The adapter's end follows, for a node that did not answer in time.
   */
  async endSessionsEverywhere(participantId: string, ended: SessionEnded): Promise<void> {
    await this.onEveryNode({ op: 'end', participantId, ended });
    this.endSessions(participantId, ended);
  }

  /** Tells one connection why, then disconnects it (by its own group). */
  endConnection(socketId: string, ended: SessionEnded): void {
    this.end(this.io.in(socketId), ended);
  }

  /** Tells every connection of the room (joined or not) why, then disconnects them. */
  endRoom(roomId: string, ended: SessionEnded): void {
    this.end(this.io.in(socketRooms.connections(roomId)), ended);
  }

  /**
   * Tells every connection this node holds why, then disconnects them (shutdown, or this node
   * lost its place in the cluster); the other nodes' connections are untouched.
   */
  endLocal(ended: SessionEnded): void {
    this.io.local.emit('session:ended', ended);
    this.io.local.disconnectSockets(true);
  }

  /** How many connections this node holds (handshakes done, not yet disconnected). */
  get localConnections(): number {
    return this.namespace?.sockets.size ?? 0;
  }

  /** To every connection this node holds (joined or not); the other nodes' are untouched. */
  tellLocal<E extends keyof ServerToClientEvents>(event: E, payload: ServerEvent<E>): void {
    emit(this.io.local, event, payload);
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

  /** A connection held here is changed here; any other by whichever node holds it. */
  private async onConnection(change: ConnectionChange): Promise<number> {
    return this.applyHere(change) || (await this.onEveryNode(change));
  }

  /**
   * Every live node applies the change to its own connections; a node that fails is logged. The
   * nodes are read from Redis now: one started since the last heartbeat may hold connections.
   */
  private async onEveryNode(change: ConnectionChange): Promise<number> {
    const nodeIds = await this.nodes.liveNodesNow();
    const answers = await Promise.allSettled(
      nodeIds.map((nodeId) => this.rpc.request(nodeId, 'conference.connections', change)),
    );
    let touched = 0;
    for (const answer of answers) {
      if (answer.status === 'fulfilled') touched += answer.value;
      else {
        const error: unknown = answer.reason;
        this.logger.warn({ err: error, op: change.op }, 'a node did not apply a change');
      }
    }
    return touched;
  }

  /** Applies the change to this node's own sockets; returns how many it touched. */
  private applyHere(change: ConnectionChange): number {
    if (!this.namespace) return 0;
    if (change.op === 'update') {
      let touched = 0;
      for (const socket of this.socketsHere(socketRooms.participant(change.participantId))) {
        touched++;
        socket.data.identity = { ...socket.data.identity, ...change.change };
        if (!socket.data.joined) continue;
        if (change.change.role === 'host') void socket.join(socketRooms.hosts(change.roomId));
        else void socket.leave(socketRooms.hosts(change.roomId));
      }
      return touched;
    }
    if (change.op === 'replace') return this.replaceHere(change);
    if (change.op === 'end') return this.endHere(change);
    const socket = this.namespace.sockets.get(change.socketId);
    if (!socket) return 0;
    switch (change.op) {
      case 'identity':
        socket.data.identity = change.identity;
        socket.data.joining = true;
        break;
      case 'settle':
        socket.data.joining = false;
        break;
      case 'lobby':
        void socket.join(socketRooms.participant(change.participantId));
        socket.data.joining = false;
        break;
      case 'enter': {
        const { roomId, participantId, role } = change.identity;
        const groups = [socketRooms.room(roomId), socketRooms.participant(participantId)];
        if (role === 'host') groups.push(socketRooms.hosts(roomId));
        void socket.join(groups);
        socket.data.joined = true;
        socket.data.joining = false;
        socket.data.joinSeq = change.seq;
        break;
      }
      case 'leave': {
        const { roomId, participantId } = change.identity;
        socket.data.joined = false;
        for (const group of [
          socketRooms.room(roomId),
          socketRooms.hosts(roomId),
          socketRooms.participant(participantId),
        ])
          void socket.leave(group);
        break;
      }
      default:
        assertUnreachable(change);
    }
    return 1;
  }

  private replaceHere(change: Extract<ConnectionChange, { op: 'replace' }>): number {
    const group = socketRooms.participantConnections(change.participantId);
    let ended = 0;
    for (const socket of this.socketsHere(group)) {
      if (socket.data.joining) continue;
      if (socket.id === change.bySocketId || socket.id === change.replacedSocketId) continue;
      if (socket.data.joinSeq !== undefined && socket.data.joinSeq > change.bySeq) continue;
      socket.emit('session:ended', change.ended);
      socket.disconnect(true);
      ended++;
    }
    return ended;
  }

  private endHere(change: Extract<ConnectionChange, { op: 'end' }>): number {
    // A connection still in its handshake is not here yet: confirmConnected reads its standing.
    const group = socketRooms.participantConnections(change.participantId);
    let ended = 0;
    for (const socket of this.socketsHere(group)) {
      socket.emit('session:ended', change.ended);
      socket.disconnect(true);
      ended++;
    }
    return ended;
  }

  /**
   * The connections this node holds in a group (handshakes done), taken before any is changed:
   * disconnecting one takes it out of the group.
   */
  private socketsHere(group: string): ConferenceSocket[] {
    const ids = [...(this.namespace?.adapter.rooms.get(group) ?? [])];
    return ids.flatMap((id) => this.namespace?.sockets.get(id) ?? []);
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
