import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { type RateLimitConfig, rateLimitConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ConnectionSlots } from '../rate-limit/connection-slots.js';

/**
 * How many connections one participant (a few tabs) and one client address (an office behind a
 * NAT) may hold open at once; counted across nodes when Redis is configured.
 */
@Injectable()
export class ConnectionCaps {
  constructor(
    private readonly slots: ConnectionSlots,
    @Inject(rateLimitConfig.KEY) private readonly config: RateLimitConfig,
  ) {}

  /** Counts the connection, or throws TOO_MANY_CONNECTIONS (counting nothing) when over a cap. */
  async admit(connectionId: string, participantId: string, address: string): Promise<void> {
    const participantKey = `connections:participant:${participantId}`;
    const result = await this.slots.acquire(connectionId, [
      { key: participantKey, max: this.config.maxConnectionsPerParticipant },
      { key: `connections:address:${address}`, max: this.config.maxConnectionsPerAddress },
    ]);
    if (result.ok) return;
    throw new DomainError(
      ErrorCode.TOO_MANY_CONNECTIONS,
      result.full === participantKey
        ? `You already have ${this.config.maxConnectionsPerParticipant} connections to this room open; close one and try again`
        : 'Too many connections from your network address; try again later',
    );
  }

  /** Stops counting the connection; safe to call more than once. */
  release(connectionId: string): Promise<void> {
    return this.slots.release(connectionId);
  }
}
