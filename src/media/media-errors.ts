import { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';

/**
 * Turns what mediasoup throws into a domain error. Its messages describe the client's input
 * ("missing encodings", "invalid dtlsParameters") and are safe to show; a closed object means
 * the media server went away underneath (worker restart, room closing).
 */
export function toMediaError(error: unknown, code: ErrorCode, action: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof types.InvalidStateError) {
    return new DomainError(
      ErrorCode.MEDIA_UNAVAILABLE,
      `Cannot ${action}: the media session is closing; try again`,
    );
  }
  const detail =
    error instanceof Error
      ? error.message.replace(/\s*\[method:[^\]]*\]\s*$/, '')
      : 'unknown error';
  return new DomainError(code, `Cannot ${action}: ${detail.slice(0, 300)}`);
}
