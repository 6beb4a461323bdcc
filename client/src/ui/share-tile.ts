import { h, icon } from './dom.js';
import type { Person } from './model.js';

/** What every tile has: its element, and where its remote tracks play. */
export interface MediaTile {
  root: HTMLElement;
  video: HTMLVideoElement;
  audio: HTMLAudioElement;
  stream: MediaStream;
}

export interface ShareTile extends MediaTile {
  caption: HTMLElement;
  stop: HTMLButtonElement;
}

/** The caption of a share's tile: whose screen it is. */
export const presentingText = (person: Person): string =>
  person.isSelf ? 'You are presenting' : `${person.displayName} is presenting`;

/**
 * A screen share's own tile: the whole screen (letterboxed, never cropped), the sharer's name,
 * and for a host watching someone else's share a button to stop it.
 */
export function createShareTile(person: Person, key: string, stop: () => void): ShareTile {
  const stream = new MediaStream();
  const video = h('video', { autoplay: true, playsinline: true, muted: true });
  video.muted = true;
  video.srcObject = stream;
  const audio = h('audio', { autoplay: true });
  const caption = h('span', { class: 'tile-name' });
  const stopButton = h(
    'button',
    { type: 'button', class: 'tile-action', onclick: stop },
    icon('close', 'icon icon-small'),
    h('span', {}, 'Stop share'),
  );
  const root = h(
    'figure',
    { class: 'tile tile-share has-video', 'data-share-of': person.participantId, 'data-tile': key },
    video,
    person.isSelf ? null : audio,
    h('figcaption', { class: 'tile-caption' }, icon('screen', 'icon icon-small'), caption),
    stopButton,
  );
  return { root, video, audio, stream, caption, stop: stopButton };
}

export function updateShareTile(tile: ShareTile, person: Person, hostView: boolean): void {
  const text = presentingText(person);
  tile.caption.textContent = text;
  tile.root.setAttribute('aria-label', `${text}: screen share`);
  // A host stops someone else's share here; their own stops from the control bar.
  tile.stop.hidden = !hostView || person.isSelf;
  tile.stop.setAttribute('aria-label', `Stop share of ${person.displayName}`);
}
