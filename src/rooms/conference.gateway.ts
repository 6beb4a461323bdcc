import { BeforeApplicationShutdown, Logger, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
} from '@nestjs/websockets';
import { IsUUID } from 'class-validator';
import { DomainError } from '../common/domain-error.js';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import { EmptyDto } from '../common/validation.js';
import { Metrics } from '../metrics/metrics.service.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  Ack,
  JoinedResult,
  LobbyEntry,
  ParticipantRefPayload,
  WaitingResult,
} from '../protocol/events.js';
import { ConferenceServer } from '../conference/conference-server.js';
import { HostGuard, NotDrainingGuard } from '../conference/conference.guards.js';
import type { ConferenceNamespace, ConferenceSocket } from '../conference/conference-socket.js';
import { Drain } from '../lifecycle/drain.js';
import { ConnectionAuthenticator } from './connection-authenticator.js';
import { ConnectionDrain, DRAINED_ENDING } from './connection-drain.js';
import { ConnectionCaps } from './connection-caps.js';
import { ConnectionTurns } from './connection-turns.js';
import { OriginPolicy } from './origin-policy.js';
import { SessionsService } from './sessions.service.js';

class ParticipantRefDto implements ParticipantRefPayload {
  @IsUUID()
  participantId!: string;
}

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const DRAINING_ERROR = () =>
  new DomainError(ErrorCode.SERVER_DRAINING, 'This server is shutting down; connect again');

/** Rooms over Socket.IO: handshake authentication, join/leave, lobby and host actions. */
@ConferenceNamespaceGateway()
export class ConferenceGateway
  implements
    OnGatewayInit<ConferenceNamespace>,
    OnGatewayConnection<ConferenceSocket>,
    OnGatewayDisconnect<ConferenceSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('ConferenceGateway');
  private shuttingDown = false;
  /** Per connection: the timer that ends it when its join token expires. */
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly server: ConferenceServer,
    private readonly authenticator: ConnectionAuthenticator,
    private readonly sessions: SessionsService,
    private readonly caps: ConnectionCaps,
    private readonly metrics: Metrics,
    private readonly origins: OriginPolicy,
    private readonly drain: Drain,
    private readonly connectionDrain: ConnectionDrain,
    private readonly turns: ConnectionTurns,
  ) {}

  afterInit(namespace: ConferenceNamespace): void {
    this.server.attach(namespace);
    this.drain.onDrain((deadline) => this.connectionDrain.move(deadline));
    // CORS for the Engine.IO endpoint (all namespaces share it): allowed origins only.
    namespace.server.engine.use(this.origins.cors);
    namespace.use((socket, next) => {
      if (this.drain.draining) {
        next(this.authenticator.toHandshakeError(DRAINING_ERROR()));
        return;
      }
      if (this.shuttingDown) {
        next(
          this.authenticator.toHandshakeError(
            new DomainError(
              ErrorCode.SERVICE_UNAVAILABLE,
              'The server is restarting; try again shortly',
            ),
          ),
        );
        return;
      }
      this.acceptConnection(socket).then(
        () => next(),
        (error: unknown) => next(this.authenticator.toHandshakeError(error)),
      );
    });
  }

  /**
   * Authenticates the handshake, counts it against the connection caps, and puts it in the
   * groups that reach every connection of its room and of its participant (joined or not).
   */
  private async acceptConnection(socket: ConferenceSocket): Promise<void> {
    const { data, address } = await this.authenticator.authenticate(socket);
    const { connectionId, identity } = data;
    await this.caps.admit(connectionId, identity.participantId, address);
    // Counted until the transport closes, even if that happens before the handshake completes
    // (then Socket.IO never reports a disconnect).
    const release = () => void this.release(connectionId);
    socket.conn.once('close', release);
    if (socket.conn.readyState !== 'open') {
      release();
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Connection closed');
    }
    socket.data = data;
    await this.server.admitConnection(socket);
    // This sign-in may have changed the person's role or name: their live session follows.
    await this.sessions.applyIdentity(identity);
    this.endAtExpiry(socket, new Date(data.tokenExpiresAt));
    this.metrics.socketConnections.inc();
    this.logger.log({ connectionId, ...identity }, 'connection authenticated');
  }

  private async release(connectionId: string): Promise<void> {
    await this.caps.release(connectionId).catch((error: unknown) => {
      this.logger.error({ err: error, connectionId }, 'releasing a connection slot failed');
    });
  }

  /**
   * On close (after the drain, or without one: tests, a second signal): refuse new connections,
   * tell this node's remaining connections why, then disconnect them.
   */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.server.endLocal(DRAINED_ENDING);
  }

  /**
   * Ends the connection when its token expires. setTimeout holds at most 2^31-1 ms (~24.8 days;
   * longer delays fire at once), so a later expiry waits in steps.
   */
  private endAtExpiry(socket: ConferenceSocket, expiresAt: Date): void {
    const remaining = expiresAt.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (remaining > MAX_TIMER_MS) {
          this.endAtExpiry(socket, expiresAt);
          return;
        }
        this.expiryTimers.delete(socket.id);
        const expire = () => this.sessions.expire(socket.data.identity, socket.id);
        this.turns.run(socket.id, expire).catch((error: unknown) => {
          this.logger.error(
            { err: error, connectionId: socket.data.connectionId },
            'ending an expired connection failed',
          );
          socket.disconnect(true);
        });
      },
      Math.min(Math.max(remaining, 0), MAX_TIMER_MS),
    );
    this.expiryTimers.set(socket.id, timer);
  }

  /**
   * A kick, rejection or close during the handshake did not reach this socket: check again. A
   * handshake that began before the drain and ended after it is ended at once.
   */
  async handleConnection(socket: ConferenceSocket): Promise<void> {
    if (this.drain.draining) {
      this.server.endConnection(socket.id, DRAINED_ENDING);
      return;
    }
    await this.sessions
      .confirmConnected(socket.data.identity, socket.id)
      .catch((error: unknown) => {
        this.logger.error(
          { err: error, connectionId: socket.data.connectionId },
          'checking a new connection failed',
        );
        socket.disconnect(true);
      });
  }

  async handleDisconnect(socket: ConferenceSocket): Promise<void> {
    clearTimeout(this.expiryTimers.get(socket.id));
    this.expiryTimers.delete(socket.id);
    await this.connectionDrain.closed(socket.data.identity ? this.cleanUp(socket) : undefined);
  }

  private async cleanUp(socket: ConferenceSocket): Promise<void> {
    this.metrics.socketConnections.dec();
    await this.release(socket.data.connectionId);
    await this.turns
      .run(socket.id, () => this.sessions.leave(socket.data.identity, socket.id, 'disconnected'))
      .catch((error: unknown) => {
        this.logger.error(
          { err: error, connectionId: socket.data.connectionId },
          'cleanup after disconnect failed',
        );
      });
  }

  @On('room:join')
  @UseGuards(NotDrainingGuard)
  async join(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<Ack<JoinedResult | WaitingResult>> {
    const join = () => this.sessions.join(socket.data.identity, socket.id);
    return { ok: true, ...(await this.turns.run(socket.id, join)) };
  }

  @On('room:leave')
  async leave(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<Ack> {
    await this.turns.run(socket.id, () =>
      this.sessions.leave(socket.data.identity, socket.id, 'left'),
    );
    return { ok: true };
  }

  @On('room:kick')
  @UseGuards(HostGuard)
  async kick(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ParticipantRefDto,
  ): Promise<Ack> {
    const { roomId, participantId } = socket.data.identity;
    await this.sessions.kick(roomId, body.participantId, participantId);
    return { ok: true };
  }

  @On('lobby:list')
  @UseGuards(HostGuard)
  async lobby(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<Ack<{ waiting: LobbyEntry[] }>> {
    return { ok: true, waiting: await this.sessions.lobby(socket.data.identity.roomId) };
  }

  @On('lobby:admit')
  @UseGuards(HostGuard)
  async admit(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ParticipantRefDto,
  ): Promise<Ack> {
    await this.sessions.admit(socket.data.identity.roomId, body.participantId);
    return { ok: true };
  }

  @On('lobby:reject')
  @UseGuards(HostGuard)
  async reject(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ParticipantRefDto,
  ): Promise<Ack> {
    await this.sessions.reject(socket.data.identity.roomId, body.participantId);
    return { ok: true };
  }
}
