import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind, Role } from '../protocol/events.js';

/** Limits per participant, so one client cannot exhaust a worker. */
export const MEDIA_LIMITS = {
  transports: 4,
  producers: 8,
  consumers: 300,
  appDataBytes: 1024,
} as const;

/** Throws once a participant has `limit` of `what` already. */
export function checkLimit(count: number, limit: number, what: string): void {
  if (count >= limit)
    throw new DomainError(ErrorCode.MEDIA_REJECTED, `At most ${limit} ${what} per participant`);
}

/**
 * What a participant may send: only codecs of the declared kind, and no video from a guest
 * when the deployment makes guests audio-only.
 */
export function checkProducerKind(
  request: { kind: MediaKind; rtpParameters: object },
  role: Role,
  guestAudioOnly: boolean,
): void {
  const mismatch = codecOfOtherKind(request.kind, request.rtpParameters);
  if (mismatch !== undefined) {
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      `A ${request.kind} producer cannot carry ${mismatch.slice(0, 64)}: every codec's mimeType must start with "${request.kind}/"`,
    );
  }
  if (request.kind === 'video' && role === 'guest' && guestAudioOnly) {
    throw new DomainError(ErrorCode.FORBIDDEN, 'Guests may only send audio in this deployment');
  }
}

/** The client's appData for a producer (empty if none), at most `MEDIA_LIMITS.appDataBytes` of JSON. */
export function clientAppData(
  appData: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const client = appData ?? {};
  if (JSON.stringify(client).length > MEDIA_LIMITS.appDataBytes) {
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      `appData must be at most ${MEDIA_LIMITS.appDataBytes} bytes of JSON`,
    );
  }
  return client;
}

/**
 * The first codec of `rtpParameters` whose mime type is not of `kind` (`audio/…` for audio,
 * `video/…` for video, RTX included), or undefined. mediasoup maps codecs by mime type alone,
 * so without this check a producer declared `audio` could carry VP8 (past the guest audio-only
 * rule) and be consumed as video. Entries that are not codecs are left to mediasoup's validation.
 */
export function codecOfOtherKind(kind: MediaKind, rtpParameters: object): string | undefined {
  const codecs = (rtpParameters as { codecs?: unknown }).codecs;
  if (!Array.isArray(codecs)) return undefined;
  for (const codec of codecs as unknown[]) {
    const mimeType = (codec as { mimeType?: unknown } | null)?.mimeType;
    if (typeof mimeType === 'string' && !mimeType.toLowerCase().startsWith(`${kind}/`))
      return mimeType;
  }
  return undefined;
}
