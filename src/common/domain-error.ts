import { ErrorCode } from '../protocol/error-codes.js';

/** The longest message convene puts in an ack or an HTTP error body. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

/** `message` cut to `max` characters, marked with an ellipsis when cut. */
export function capMessage(message: string, max = MAX_ERROR_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  let cut = message.slice(0, max - 1);
  // Never end on half a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * A failure the caller can act on. Services throw these; the HTTP and WebSocket filters turn
 * them into responses. The message is shown to clients, so it never carries internals, and it
 * is capped to MAX_ERROR_MESSAGE_LENGTH (it may quote input).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(capMessage(message));
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
