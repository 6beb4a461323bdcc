import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { JoinTokensService } from '../auth/join-tokens.service.js';
import { TokenFailureLimiter } from '../auth/token-failure-limiter.js';
import { clientAddress, compileTrust, type TrustFn } from '../common/client-address.js';
import { DomainError } from '../common/domain-error.js';
import { type AppConfig, appConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { SocketData, SocketIdentity } from '../protocol/events.js';
import { RoomsService } from './rooms.service.js';

/** Refusals that say nothing about the token, so they do not count towards blocking an address. */
const NOT_THE_CALLERS_FAULT: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.ROOM_CLOSED,
  ErrorCode.SERVICE_UNAVAILABLE,
]);

export type HandshakeError = Error & { data: { code: ErrorCode } };

/**
 * Authenticates a Socket.IO handshake (`auth: { token, roomId? }`) with the same token
 * verification as everywhere else. A socket that fails never reaches a handler.
 */
@Injectable()
export class ConnectionAuthenticator {
  private readonly logger = new Logger('ConnectionAuthenticator');
  private readonly trustProxy: TrustFn;

  constructor(
    private readonly tokens: JoinTokensService,
    private readonly rooms: RoomsService,
    private readonly limiter: TokenFailureLimiter,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.trustProxy = compileTrust(config.trustProxy);
  }

  async authenticate(socket: Socket): Promise<SocketData> {
    // Failed attempts are counted per client, not per ingress: X-Forwarded-For from trusted proxies.
    const address = clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
      this.trustProxy,
    );
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; roomId?: unknown };
    if (await this.limiter.isBlocked(address)) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        'Too many failed attempts; try again in a minute',
      );
    }
    try {
      if (typeof auth.token !== 'string' || auth.token.length === 0 || auth.token.length > 8192) {
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'A join token is required (auth.token)');
      }
      const claims = await this.tokens.verify(auth.token);
      const requestedRoom = typeof auth.roomId === 'string' ? auth.roomId : undefined;
      const { participant } = await this.rooms.authorize(claims, requestedRoom);
      const identity: SocketIdentity = {
        participantId: participant.id,
        roomId: participant.roomId,
        displayName: participant.displayName,
        role: participant.role,
      };
      return {
        identity,
        connectionId: randomUUID(),
        joined: false,
        tokenExpiresAt: claims.expiresAt.toISOString(),
      };
    } catch (error) {
      if (error instanceof DomainError && !NOT_THE_CALLERS_FAULT.has(error.code)) {
        await this.limiter.recordFailure(address);
      }
      throw error;
    }
  }

  /** The error a Socket.IO client sees in `connect_error` (`err.message`, `err.data.code`). */
  toHandshakeError(error: unknown): HandshakeError {
    if (error instanceof DomainError)
      return Object.assign(new Error(error.message), { data: { code: error.code } });
    this.logger.error({ err: error }, 'handshake failed');
    return Object.assign(new Error('Internal error'), { data: { code: ErrorCode.INTERNAL } });
  }
}
