import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from '../protocol/error-codes.js';
import { assertUnreachable } from './domain-error.js';

/** The HTTP status for each error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusFor(code: ErrorCode): HttpStatus {
  switch (code) {
    case ErrorCode.VALIDATION_FAILED:
    case ErrorCode.MEDIA_INCOMPATIBLE:
    case ErrorCode.MEDIA_REJECTED:
    case ErrorCode.SOURCE_KIND_MISMATCH:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.TOKEN_INVALID:
    case ErrorCode.TOKEN_EXPIRED:
    case ErrorCode.TOKEN_REVOKED:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.FORBIDDEN:
    case ErrorCode.TOKEN_WRONG_ROOM:
    case ErrorCode.LOBBY_REJECTED:
    case ErrorCode.ORIGIN_NOT_ALLOWED:
    case ErrorCode.MUTED_BY_HOST:
    case ErrorCode.SHARE_NOT_ALLOWED:
      return HttpStatus.FORBIDDEN;
    case ErrorCode.NOT_FOUND:
    case ErrorCode.API_KEY_NOT_FOUND:
    case ErrorCode.ROOM_NOT_FOUND:
    case ErrorCode.PARTICIPANT_NOT_FOUND:
    case ErrorCode.MEDIA_NOT_FOUND:
    case ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND:
    case ErrorCode.SHARE_NOT_FOUND:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.ROOM_CLOSED:
    case ErrorCode.ROOM_FULL:
    case ErrorCode.NOT_JOINED:
    case ErrorCode.LOBBY_NOT_ENABLED:
    case ErrorCode.PARTICIPANT_ALREADY_ADMITTED:
    case ErrorCode.RECIPIENT_NOT_IN_ROOM:
    case ErrorCode.WEBHOOK_DELIVERY_NOT_FAILED:
    case ErrorCode.UNMUTE_NOT_REQUESTED:
    case ErrorCode.SHARE_ALREADY_ACTIVE:
      return HttpStatus.CONFLICT;
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.TOO_MANY_CONNECTIONS:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.AUDIT_UNAVAILABLE:
    case ErrorCode.MEDIA_UNAVAILABLE:
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.SERVER_DRAINING:
      return HttpStatus.SERVICE_UNAVAILABLE;
    case ErrorCode.INTERNAL:
      return HttpStatus.INTERNAL_SERVER_ERROR;
    default:
      return assertUnreachable(code);
  }
}
