import type { MediaKind, MediaSource, Role, ScreenSharePolicy } from './events.js';

/** The sources of a screen share: its picture and (where the browser offers it) its sound. */
export const SHARE_SOURCES: readonly MediaSource[] = ['screen', 'screen-audio'];

export const isShareSource = (source: MediaSource): boolean => SHARE_SOURCES.includes(source);

/** The kind each source must have. */
export const SOURCE_KINDS: Record<MediaSource, MediaKind> = {
  camera: 'video',
  microphone: 'audio',
  screen: 'video',
  'screen-audio': 'audio',
};

/** What a produce without a source sends: the camera or the microphone. */
export const defaultSource = (kind: MediaKind): MediaSource =>
  kind === 'video' ? 'camera' : 'microphone';

/**
 * Why this person may not share their screen, in words; undefined when they may. One rule for
 * the server (which enforces it) and the client (which hides the button and says why).
 */
export function shareRefusal(
  role: Role,
  policy: ScreenSharePolicy,
  guestsMayShare: boolean,
): string | undefined {
  if (policy === 'hosts' && role !== 'host')
    return 'Only hosts can share their screen in this room';
  if (role === 'guest' && !guestsMayShare) return 'Guests cannot share their screen here';
  return undefined;
}
