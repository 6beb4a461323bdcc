/**
 * Every error code convene sends to a client, over HTTP or in a WebSocket ack.
 * Shared by server, web client and tests: the contract, not an implementation detail.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  INTERNAL: 'INTERNAL',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** This node is shutting down (a rolling update): connect again, to another node. */
  SERVER_DRAINING: 'SERVER_DRAINING',
  API_KEY_NOT_FOUND: 'API_KEY_NOT_FOUND',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  ROOM_CLOSED: 'ROOM_CLOSED',
  ROOM_FULL: 'ROOM_FULL',
  PARTICIPANT_NOT_FOUND: 'PARTICIPANT_NOT_FOUND',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  TOKEN_WRONG_ROOM: 'TOKEN_WRONG_ROOM',
  NOT_JOINED: 'NOT_JOINED',
  LOBBY_NOT_ENABLED: 'LOBBY_NOT_ENABLED',
  PARTICIPANT_ALREADY_ADMITTED: 'PARTICIPANT_ALREADY_ADMITTED',
  LOBBY_REJECTED: 'LOBBY_REJECTED',
  RECIPIENT_NOT_IN_ROOM: 'RECIPIENT_NOT_IN_ROOM',
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  MEDIA_UNAVAILABLE: 'MEDIA_UNAVAILABLE',
  MEDIA_NOT_FOUND: 'MEDIA_NOT_FOUND',
  MEDIA_INCOMPATIBLE: 'MEDIA_INCOMPATIBLE',
  MEDIA_REJECTED: 'MEDIA_REJECTED',
  /** A host muted this hard: unmuting (resume, or produce anew) waits until a host allows it. */
  MUTED_BY_HOST: 'MUTED_BY_HOST',
  /** `media:answerUnmute` without a host's ask of that kind pending. */
  UNMUTE_NOT_REQUESTED: 'UNMUTE_NOT_REQUESTED',
  /** A producer's `source` does not fit its `kind` (screen/camera are video, screen-audio/microphone audio). */
  SOURCE_KIND_MISMATCH: 'SOURCE_KIND_MISMATCH',
  /** The room (hosts only) or the deployment (no guests) does not let this participant share a screen. */
  SHARE_NOT_ALLOWED: 'SHARE_NOT_ALLOWED',
  /** This participant already shares a screen (one share each): stop it first. */
  SHARE_ALREADY_ACTIVE: 'SHARE_ALREADY_ACTIVE',
  /** The participant shares no screen (nothing to stop). */
  SHARE_NOT_FOUND: 'SHARE_NOT_FOUND',
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  WEBHOOK_DELIVERY_NOT_FOUND: 'WEBHOOK_DELIVERY_NOT_FOUND',
  WEBHOOK_DELIVERY_NOT_FAILED: 'WEBHOOK_DELIVERY_NOT_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The shape of an error, in an HTTP body (`{ error }`) or a WebSocket ack (`{ ok: false, error }`). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  requestId?: string;
}
