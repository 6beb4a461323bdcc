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

const ROOM_CLOSED_TEXT = 'The room was closed for everyone. This link no longer works.';

/** The heading above describeError's text when the meeting cannot go on for this person. */
export function endTitle(code: ErrorCode | undefined): string {
  switch (code) {
    case ErrorCode.ROOM_CLOSED:
    case ErrorCode.ROOM_NOT_FOUND:
      return 'The meeting has ended';
    case ErrorCode.TOKEN_EXPIRED:
    case ErrorCode.TOKEN_REVOKED:
    case ErrorCode.TOKEN_INVALID:
    case ErrorCode.TOKEN_WRONG_ROOM:
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.ORIGIN_NOT_ALLOWED:
      return 'You cannot join this meeting';
    default:
      return 'The meeting is over for you';
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
      return ROOM_CLOSED_TEXT;
    case ErrorCode.ROOM_NOT_FOUND:
      return 'This meeting does not exist any more.';
    case ErrorCode.ROOM_FULL:
      return 'This meeting is full. Try again when someone leaves.';
    case ErrorCode.LOBBY_REJECTED:
      return 'A host declined your request to join.';
    case ErrorCode.RATE_LIMITED:
      return 'Too many attempts. Wait a minute and try again.';
    case ErrorCode.TOO_MANY_CONNECTIONS:
      return 'Too many connections to this meeting are open from here (other tabs, windows, or people on your network). Close a tab and try again.';
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
    case ErrorCode.MUTED_BY_HOST:
      return 'A host muted you. You can unmute when a host allows it.';
    case ErrorCode.UNMUTE_NOT_REQUESTED:
      return 'No host asked you to unmute any more.';
    case ErrorCode.SHARE_NOT_ALLOWED:
      return fallback ?? 'You cannot share your screen in this meeting.';
    case ErrorCode.SHARE_ALREADY_ACTIVE:
      return 'You are already sharing your screen.';
    case ErrorCode.SHARE_NOT_FOUND:
      return 'That person is not sharing their screen any more.';
    case ErrorCode.SOURCE_KIND_MISMATCH:
      return 'Your screen could not be shared. Try again.';
    case ErrorCode.NOT_JOINED:
      return 'You are not in the meeting yet.';
    case ErrorCode.ORIGIN_NOT_ALLOWED:
      return 'This page cannot connect to the meeting server. Open the join link itself, not a copy embedded in another site.';
    case ErrorCode.VALIDATION_FAILED:
      return fallback ?? 'That did not work. Check what you entered and try again.';
    case ErrorCode.SERVER_DRAINING:
      return 'This server is restarting. Reconnecting you to another one…';
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.INTERNAL:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.API_KEY_NOT_FOUND:
    case ErrorCode.LOBBY_NOT_ENABLED:
    case ErrorCode.PARTICIPANT_ALREADY_ADMITTED:
    case ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND:
    case ErrorCode.WEBHOOK_DELIVERY_NOT_FAILED:
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
      // Closed through the admin API (not by a host in the meeting), so no one is named.
      return ROOM_CLOSED_TEXT;
    case 'replaced':
      return 'You joined this meeting from another tab or device, so this window was disconnected.';
    case 'left':
      return 'You left the meeting.';
    case 'disconnected':
      return 'You were disconnected from the meeting.';
    case 'server-shutdown':
      return 'The meeting server is restarting. Rejoin in a moment.';
    case 'expired':
      return 'You were disconnected because your join link expired. Ask the organiser for a new link.';
  }
}

/** Why a chat message was not sent; names the recipient when they are the reason. */
export function describeChatError(
  code: ErrorCode | undefined,
  message: string | undefined,
  recipientName: string | undefined,
): string {
  if (code === ErrorCode.RECIPIENT_NOT_IN_ROOM && recipientName)
    return `${recipientName} left the meeting, so this message was not sent.`;
  if (code === undefined)
    return 'No connection, so this message was not sent. Try again when you are back online.';
  // Chat's limit is per 10 seconds; the join-attempt wording ("wait a minute") would mislead.
  if (code === ErrorCode.RATE_LIMITED)
    return 'You are sending messages too fast, so this one was not sent. Wait a few seconds and try again.';
  return describeError(code, message);
}

export type DeviceName = 'camera' | 'microphone' | 'camera and microphone';

/** getUserMedia failures, in words. */
export function describeDeviceError(error: unknown, what: DeviceName): string {
  const name = error instanceof DOMException ? error.name : '';
  const both = what === 'camera and microphone';
  const it = both ? 'them' : 'it';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `Your browser blocked the ${what}. To use ${it}, allow ${it} in the site settings (the icon next to the address), then reload this page. You can still join without ${it}.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} ${both ? 'were' : 'was'} found. Plug ${both ? 'them' : 'one'} in, or join without ${it}.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${what} ${both ? 'are' : 'is'} in use by another app. Close ${it} there, or join without ${it}.`;
    default:
      return `The ${what} could not be started. You can still join without ${it}.`;
  }
}

/** A device that is not working during the meeting, in words, with what to do (the Settings panel offers Try again). */
export function describeDeviceProblem(error: unknown, kind: 'audio' | 'video'): string {
  const name = error instanceof DOMException ? error.name : '';
  const what = kind === 'video' ? 'camera' : 'microphone';
  const What = kind === 'video' ? 'Camera' : 'Microphone';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `${What} blocked by your browser. Allow it in the site settings (the icon next to the address), then choose Try again.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} found (the chosen one may be unplugged). Plug one in, or choose another, then Try again.`;
    case 'NotReadableError':
    case 'AbortError':
      return `${What} in use by another app, or not responding. Close it there, then choose Try again.`;
    default:
      return `Your ${what} could not be started. Choose Try again.`;
  }
}
