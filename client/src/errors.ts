import { ErrorCode, type ErrorBody } from '../../src/protocol/error-codes.js';
import type { LeaveReason } from '../../src/protocol/events.js';

/** An error from the server (ack or handshake) carrying the protocol's code. */
export class ServerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }

  static from(body: ErrorBody): ServerError {
    return new ServerError(body.code, body.message);
  }
}

/** What a person reads when joining fails or a session ends, by error code. */
export function describeError(code: ErrorCode | undefined, fallback?: string): string {
  switch (code) {
    case ErrorCode.TOKEN_EXPIRED:
      return 'This join link has expired. Ask the organiser for a new one.';
    case ErrorCode.TOKEN_REVOKED:
      return 'You were removed from this meeting, so this link no longer works.';
    case ErrorCode.TOKEN_INVALID:
    case ErrorCode.TOKEN_WRONG_ROOM:
    case ErrorCode.UNAUTHENTICATED:
      return 'This join link is not valid. Check that you copied all of it, or ask the organiser for a new one.';
    case ErrorCode.ROOM_CLOSED:
      return 'This meeting has ended.';
    case ErrorCode.ROOM_NOT_FOUND:
      return 'This meeting does not exist any more.';
    case ErrorCode.ROOM_FULL:
      return 'This meeting is full. Try again when someone leaves.';
    case ErrorCode.LOBBY_REJECTED:
      return 'A host declined your request to join.';
    case ErrorCode.RATE_LIMITED:
      return 'Too many attempts. Wait a minute and try again.';
    case ErrorCode.RECIPIENT_NOT_IN_ROOM:
      return 'They are not in the meeting any more, so the message was not sent.';
    case ErrorCode.AUDIT_UNAVAILABLE:
      return 'Chat is unavailable right now; your message was not sent. Try again shortly.';
    case ErrorCode.FORBIDDEN:
      return fallback ?? 'You are not allowed to do that.';
    case ErrorCode.PARTICIPANT_NOT_FOUND:
      return 'That person is not in the meeting any more.';
    case ErrorCode.MEDIA_UNAVAILABLE:
    case ErrorCode.MEDIA_NOT_FOUND:
    case ErrorCode.MEDIA_REJECTED:
      return 'Audio and video are unavailable right now. Chat still works; we will keep trying.';
    case ErrorCode.MEDIA_INCOMPATIBLE:
      return 'Your browser cannot play this video format.';
    case ErrorCode.NOT_JOINED:
      return 'You are not in the meeting yet.';
    case ErrorCode.VALIDATION_FAILED:
      return fallback ?? 'That did not work. Check what you entered and try again.';
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.INTERNAL:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.API_KEY_NOT_FOUND:
    case ErrorCode.LOBBY_NOT_ENABLED:
    case undefined:
      return fallback ?? 'Something went wrong on our side. Try again in a moment.';
  }
}

/** Why the session ended, in words. */
export function describeEnd(reason: LeaveReason, code: ErrorCode | undefined): string {
  switch (reason) {
    case 'kicked':
      return code === ErrorCode.TOKEN_REVOKED || code === undefined
        ? 'A host removed you from the meeting.'
        : describeError(code);
    case 'room-closed':
      return 'The meeting has ended. The host closed the room.';
    case 'replaced':
      return 'You joined this meeting from another tab or device, so this window was disconnected.';
    case 'left':
      return 'You left the meeting.';
    case 'disconnected':
      return 'You were disconnected from the meeting.';
    case 'server-shutdown':
      return 'The meeting server is restarting. Rejoin in a moment.';
  }
}

/** getUserMedia failures, in words. */
export function describeDeviceError(
  error: unknown,
  what: 'camera' | 'microphone' | 'camera and microphone',
): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `Your browser blocked the ${what}. Allow access in the site settings (the icon next to the address) and try again. You can still join without it.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found. Plug one in, or join without it.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${what} is in use by another app. Close it there, or join without it.`;
    default:
      return `The ${what} could not be started. You can still join without it.`;
  }
}
