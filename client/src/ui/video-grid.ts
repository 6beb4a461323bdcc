import type { MediaKind } from '../../../src/protocol/events.js';
import { h, hueOf, icon, initials } from './dom.js';
import type { Person } from './model.js';

interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  audio: HTMLAudioElement;
  stream: MediaStream;
  name: HTMLElement;
  micState: HTMLElement;
  avatar: HTMLElement;
}

/**
 * The video tiles, one per present person. Tiles are long-lived DOM (a re-created <video> would
 * flash and restart playback); only their state classes and labels change.
 */
export class VideoGrid {
  readonly root = h('section', { class: 'stage', 'aria-label': 'Videos' });
  private readonly tiles = new Map<string, Tile>();
  /** The output device remote sound plays on; empty: the system's default. */
  private sinkId = '';
  /** Called when the browser refused to play sound without a click. */
  onAudioBlocked: () => void = () => undefined;

  sync(people: Person[], speakerId: string | null, localStream: MediaStream): void {
    const ids = new Set(people.map((p) => p.participantId));
    for (const [id, tile] of this.tiles) {
      if (!ids.has(id)) {
        tile.root.remove();
        this.tiles.delete(id);
      }
    }
    for (const person of people) {
      const tile = this.tiles.get(person.participantId) ?? this.create(person, localStream);
      this.update(tile, person, speakerId);
    }
    this.root.dataset.count = String(Math.min(people.length, 9));
  }

  attach(participantId: string, kind: MediaKind, track: MediaStreamTrack): void {
    const tile = this.tiles.get(participantId);
    if (!tile) return;
    for (const old of kind === 'video'
      ? tile.stream.getVideoTracks()
      : tile.stream.getAudioTracks())
      tile.stream.removeTrack(old);
    tile.stream.addTrack(track);
    const element = kind === 'video' ? tile.video : tile.audio;
    element.srcObject = tile.stream;
    element.play().catch(() => {
      if (kind === 'audio') this.onAudioBlocked();
    });
  }

  detach(track: MediaStreamTrack): void {
    for (const tile of this.tiles.values()) tile.stream.removeTrack(track);
  }

  /** Retries playback after a click (autoplay with sound needs a user gesture). */
  resumeAudio(): void {
    for (const tile of this.tiles.values()) void tile.audio.play().catch(() => undefined);
  }

  /** Plays everyone's sound on this output device (rejects where the browser refuses it). */
  async setSpeaker(deviceId: string): Promise<void> {
    this.sinkId = deviceId;
    await Promise.all([...this.tiles.values()].map((t) => t.audio.setSinkId(deviceId)));
  }

  private create(person: Person, localStream: MediaStream): Tile {
    const stream = person.isSelf ? localStream : new MediaStream();
    const video = h('video', {
      autoplay: true,
      playsinline: true,
      muted: true,
      class: person.isSelf ? 'mirrored' : '',
    });
    video.muted = true;
    video.srcObject = stream;
    const audio = h('audio', { autoplay: true });
    if (this.sinkId) void audio.setSinkId(this.sinkId).catch(() => undefined);
    const avatar = h(
      'div',
      { class: 'avatar', 'aria-hidden': 'true' },
      initials(person.displayName),
    );
    avatar.style.setProperty('--hue', String(hueOf(person.participantId)));
    const name = h('span', { class: 'tile-name' });
    const micState = h('span', { class: 'tile-mic' });
    const root = h(
      'figure',
      { class: 'tile', 'data-participant-id': person.participantId },
      avatar,
      video,
      person.isSelf ? null : audio,
      h('figcaption', { class: 'tile-caption' }, micState, name),
    );
    const tile: Tile = { root, video, audio, stream, name, micState, avatar };
    this.tiles.set(person.participantId, tile);
    if (person.isSelf) this.root.prepend(root);
    else this.root.append(root);
    return tile;
  }

  private update(tile: Tile, person: Person, speakerId: string | null): void {
    const speaking = speakerId === person.participantId;
    const videoOn = person.media.video === 'on';
    tile.root.classList.toggle('is-speaking', speaking);
    tile.root.classList.toggle('has-video', videoOn);
    // The avatar stays underneath: it shows until the first video frame arrives.
    tile.video.hidden = !videoOn;
    tile.name.textContent = person.isSelf ? `${person.displayName} (you)` : person.displayName;
    const muted = person.media.audio !== 'on';
    tile.micState.replaceChildren(
      muted ? icon('micOff', 'icon icon-small') : icon('mic', 'icon icon-small'),
    );
    tile.micState.classList.toggle('is-muted', muted);
    const states = [
      muted ? 'microphone off' : 'microphone on',
      videoOn ? 'camera on' : 'camera off',
    ];
    if (speaking) states.push('speaking');
    tile.root.setAttribute(
      'aria-label',
      `${person.displayName}${person.isSelf ? ' (you)' : ''}: ${states.join(', ')}`,
    );
  }
}
