import { ErrorCode } from '../protocol/error-codes.js';

/**
 * A failure the caller can act on. Services throw these; the HTTP and WebSocket filters turn
 * them into responses. The message is shown to clients, so it never carries internals.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${String(value)}`);
}

/** RATE_LIMITED with when to try again; the HTTP filter sends it as `Retry-After`. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(ErrorCode.RATE_LIMITED, message);
    this.name = 'RateLimitedError';
  }
}
