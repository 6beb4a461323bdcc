import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { JoinTokensService } from '../auth/join-tokens.service.js';
import { TokenFailureLimiter } from '../auth/failure-limiters.js';
import { clientAddress, compileTrust, type TrustFn } from '../common/client-address.js';
import { DomainError } from '../common/domain-error.js';
import { type AppConfig, appConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { SocketData, SocketIdentity } from '../protocol/socket-data.js';
import { OriginPolicy } from './origin-policy.js';
import { RoomsService } from './rooms.service.js';

/** Refusals that say nothing about the token, so they do not count towards blocking an address. */
const NOT_THE_CALLERS_FAULT: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.ROOM_CLOSED,
  ErrorCode.SERVICE_UNAVAILABLE,
]);

export type HandshakeError = Error & { data: { code: ErrorCode } };

/**
 * Authenticates a Socket.IO handshake (`auth: { token, roomId? }`, from an allowed origin) with
 * the same token verification as everywhere else. A socket that fails never reaches a handler.
 */
@Injectable()
export class ConnectionAuthenticator {
  private readonly logger = new Logger('ConnectionAuthenticator');
  private readonly trustProxy: TrustFn;

  constructor(
    private readonly tokens: JoinTokensService,
    private readonly rooms: RoomsService,
    private readonly limiter: TokenFailureLimiter,
    private readonly origins: OriginPolicy,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.trustProxy = compileTrust(config.trustProxy);
  }

  /**
   * The connection's identity from its token, and the client's address (per client, not per
   * ingress: X-Forwarded-For from trusted proxies). A valid token is accepted even from an
   * address over the failure limit; only further failures from there are refused as RATE_LIMITED.
   */
  async authenticate(socket: Socket): Promise<{ data: SocketData; address: string }> {
    // Before anything else, and not a token failure: another site's page could otherwise make its
    // visitors' browsers block their own address.
    this.origins.check(socket.handshake.headers);
    const address = clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
      this.trustProxy,
    );
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; roomId?: unknown };
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
        data: {
          identity,
          connectionId: randomUUID(),
          joined: false,
          tokenExpiresAt: claims.expiresAt.toISOString(),
        },
        address,
      };
    } catch (error) {
      if (error instanceof DomainError && !NOT_THE_CALLERS_FAULT.has(error.code)) {
        const retryAfterSeconds = await this.limiter.recordFailure(address);
        if (retryAfterSeconds !== undefined) {
          throw new DomainError(
            ErrorCode.RATE_LIMITED,
            `Too many failed attempts; try again in ${retryAfterSeconds} s`,
          );
        }
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
