import type { types } from 'mediasoup';
import type { MediaKind } from '../protocol/events.js';

/** The codecs every room router offers: opus for audio; VP8, VP9 and H264 for video. */
export const ROUTER_MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP9',
    clockRate: 90000,
    parameters: { 'profile-id': 2, 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '4d0032',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
];

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
