import type { MediaKind } from '../../../src/protocol/events.js';
import { h, hueOf, icon, initials } from './dom.js';
import type { Person } from './model.js';
import {
  arrange,
  type Arrangement,
  fitGrid,
  layerForHeight,
  type LayoutMode,
} from './stage-layout.js';
import { StageToolbar } from './stage-toolbar.js';
import { createShareTile, type MediaTile, type ShareTile, updateShareTile } from './share-tile.js';
import { shareTileKey } from '../video-demand.js';

interface Tile extends MediaTile {
  name: HTMLElement;
  micState: HTMLElement;
  avatar: HTMLElement;
}

/** What the stage shows besides people: the screens being shared, and whether this person is a host. */
export interface StageShares {
  sharing: Person[];
  isHost: boolean;
}

/**
 * The video tiles, one per present person and one per screen share (keyed `screen:<id>`, large in
 * the speaker layout, first in the grid), in a grid or the speaker layout, a page at a time.
 * Tiles are long-lived DOM (a re-created <video> would flash and restart playback); tiles off
 * the page are hidden, not removed, so their sound keeps playing. After each change the grid
 * reports which tiles are on screen and the layer their size needs (`onView`).
 */
export class VideoGrid {
  readonly root = h('section', { class: 'stage', 'aria-label': 'Videos' });
  private readonly tilesBox = h('div', { class: 'tiles' });
  private readonly toolbar: StageToolbar;
  private readonly tiles = new Map<string, Tile>();
  private readonly shareTiles = new Map<string, ShareTile>();
  private mode: LayoutMode = 'grid';
  private page = 0;
  private main: string | null = null;
  private arrangement: Arrangement = { main: null, tiles: [], page: 0, pageCount: 1 };
  private last?: {
    people: Person[];
    speakerId: string | null;
    localStream: MediaStream;
    shares: StageShares;
  };
  private reported = '';
  private measuring?: number;
  /** The output device remote sound plays on; empty: the system's default. */
  private sinkId = '';
  /** Called when the browser refused to play sound without a click. */
  onAudioBlocked: () => void = () => undefined;
  /** The tiles on screen changed: tile key -> the simulcast layer each one needs. */
  onView: (view: Map<string, number>) => void = () => undefined;
  /** A host asked to stop someone's screen share (the button on its tile). */
  onStopShare: (participantId: string) => void = () => undefined;

  constructor() {
    this.toolbar = new StageToolbar({
      layout: (mode) => this.setLayout(mode),
      turn: (by) => this.turn(by),
    });
    this.root.append(this.toolbar.root, this.tilesBox);
    // Page Up / Page Down anywhere on the stage turn the page too.
    this.root.addEventListener('keydown', (event) => {
      if (event.key !== 'PageDown' && event.key !== 'PageUp') return;
      event.preventDefault();
      this.turn(event.key === 'PageDown' ? 1 : -1);
    });
    new ResizeObserver(() => {
      this.fit();
      this.measureSoon();
    }).observe(this.tilesBox);
  }

  sync(
    people: Person[],
    speakerId: string | null,
    localStream: MediaStream,
    shares: StageShares = { sharing: [], isHost: false },
  ): void {
    this.last = { people, speakerId, localStream, shares };
    const shareKeys = this.syncShares(shares);
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
    const self = people.find((p) => p.isSelf);
    // This person first, then everyone in the order they came: a newcomer never moves others.
    const ordered = [...people.filter((p) => p.isSelf), ...people.filter((p) => !p.isSelf)];
    this.arrangement = arrange({
      ids: ordered.map((p) => p.participantId),
      shares: shareKeys,
      selfId: self?.participantId ?? '',
      mode: this.mode,
      page: this.page,
      speakerId,
      previousMain: this.main,
    });
    this.page = this.arrangement.page;
    this.main = this.arrangement.main ?? this.main;
    this.place();
    this.toolbar.render(this.mode, this.arrangement);
    this.measureSoon();
  }

  /** The layout, the page and the large tile (for the page's debug hook). */
  shown(): { mode: LayoutMode; page: number; pageCount: number; main: string | null } {
    const { page, pageCount, main } = this.arrangement;
    return { mode: this.mode, page, pageCount, main: this.mode === 'speaker' ? main : null };
  }

  setLayout(mode: LayoutMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.page = 0;
    this.resync();
  }

  turn(by: 1 | -1): void {
    const next = Math.min(Math.max(0, this.page + by), this.arrangement.pageCount - 1);
    if (next === this.page) return;
    this.page = next;
    this.resync();
  }

  private resync(): void {
    const last = this.last;
    if (last) this.sync(last.people, last.speakerId, last.localStream, last.shares);
  }

  /**
   * One tile per share, in share order; a share that ended loses its tile. Someone else's new
   * share turns the stage to the speaker layout, where it is large. Returns the shares' keys.
   */
  private syncShares({ sharing, isHost }: StageShares): string[] {
    const keys = sharing.map((p) => shareTileKey(p.participantId));
    for (const [key, tile] of this.shareTiles) {
      if (keys.includes(key)) continue;
      tile.root.remove();
      this.shareTiles.delete(key);
    }
    for (const person of sharing) {
      const key = shareTileKey(person.participantId);
      let tile = this.shareTiles.get(key);
      if (!tile) {
        tile = createShareTile(person, key, () => this.onStopShare(person.participantId));
        if (this.sinkId) void tile.audio.setSinkId(this.sinkId).catch(() => undefined);
        this.shareTiles.set(key, tile);
        this.tilesBox.prepend(tile.root);
        if (!person.isSelf && this.mode === 'grid') {
          this.mode = 'speaker';
          this.page = 0;
        }
      }
      updateShareTile(tile, person, isHost);
    }
    return keys;
  }

  /** Every tile: people's and shares', by key. */
  private allTiles(): [string, MediaTile][] {
    return [...this.tiles, ...this.shareTiles];
  }

  /** Shows the arrangement's tiles in its order (CSS `order`), the main one first; hides the rest. */
  private place(): void {
    const { main, tiles } = this.arrangement;
    const speaker = this.mode === 'speaker';
    const onScreen = speaker && main ? [main, ...tiles] : tiles;
    this.tilesBox.dataset.layout = this.mode;
    this.tilesBox.dataset.count = String(onScreen.length);
    for (const [id, tile] of this.allTiles()) {
      const index = onScreen.indexOf(id);
      tile.root.hidden = index < 0;
      tile.root.style.order = String(Math.max(0, index));
      tile.root.classList.toggle('is-main', speaker && id === main);
    }
    this.fit();
  }

  /** Grid: as many columns as make the tiles largest without overlapping or scrolling. */
  private fit(): void {
    if (this.mode !== 'grid' || !this.tilesBox.isConnected) return;
    const style = getComputedStyle(this.tilesBox);
    const px = (value: string) => Number.parseFloat(value) || 0;
    const width = this.tilesBox.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
    const height = this.tilesBox.clientHeight - px(style.paddingTop) - px(style.paddingBottom);
    const count = Number(this.tilesBox.dataset.count ?? 1);
    const { columns, tileWidth } = fitGrid(count, width, height, px(style.columnGap));
    this.tilesBox.style.setProperty('--columns', String(columns));
    this.tilesBox.style.setProperty('--tile-width', `${tileWidth}px`);
  }

  /** Measures the shown tiles once the layout settled, and reports them if anything changed. */
  private measureSoon(): void {
    if (this.measuring !== undefined) return;
    this.measuring = window.setTimeout(() => {
      this.measuring = undefined;
      const view = new Map<string, number>();
      for (const [id, tile] of this.allTiles()) {
        if (tile.root.hidden) continue;
        const height = tile.root.getBoundingClientRect().height * window.devicePixelRatio;
        view.set(id, layerForHeight(height, 3));
      }
      const key = JSON.stringify([...view].sort());
      if (key === this.reported) return;
      this.reported = key;
      this.onView(view);
    }, 0);
  }

  /** Plays a track in a tile: a participant's (camera, microphone) or a share's (`screen:<id>`). */
  attach(tileKey: string, kind: MediaKind, track: MediaStreamTrack): void {
    const tile = this.tiles.get(tileKey) ?? this.shareTiles.get(tileKey);
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
    for (const [, tile] of this.allTiles()) tile.stream.removeTrack(track);
  }

  /** Retries playback after a click (autoplay with sound needs a user gesture). */
  resumeAudio(): void {
    for (const [, tile] of this.allTiles()) void tile.audio.play().catch(() => undefined);
  }

  /** Plays everyone's sound on this output device (rejects where the browser refuses it). */
  async setSpeaker(deviceId: string): Promise<void> {
    this.sinkId = deviceId;
    await Promise.all(this.allTiles().map(([, t]) => t.audio.setSinkId(deviceId)));
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
    if (person.isSelf) this.tilesBox.prepend(root);
    else this.tilesBox.append(root);
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
