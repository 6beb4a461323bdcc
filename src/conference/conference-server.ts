import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConferenceNamespace } from './conference-socket.js';

/**
 * The `/conference` Socket.IO namespace, for services that must reach connections (emit to a
 * participant's or room's Socket.IO room, disconnect). Set once by the gateway at init; with
 * the Redis adapter the same calls reach other nodes.
 */
@Injectable()
export class ConferenceServer {
  private namespace: ConferenceNamespace | undefined;

  attach(namespace: ConferenceNamespace): void {
    this.namespace = namespace;
  }

  get io(): ConferenceNamespace {
    if (!this.namespace)
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Conference server not ready');
    return this.namespace;
  }
}
