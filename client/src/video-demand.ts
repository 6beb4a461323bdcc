import type { Connection } from './connection.js';

/**
 * What the stage shows: tile key -> the spatial layer the tile needs. A camera's tile is keyed by
 * its participant id, a screen share's by `shareTileKey` (so a share is demanded on its own).
 */
export type StageView = ReadonlyMap<string, number>;

/** The tile key of a participant's screen share. */
export const shareTileKey = (participantId: string): string => `screen:${participantId}`;

/** One video consumer as the server was last told (the page's debug hook shows these). */
export interface VideoDemandState {
  consumerId: string;
  /** The tile it shows in: a participant id (camera) or a share's tile key. */
  tile: string;
  paused: boolean;
  /** The preferred spatial layer asked for; null for a stream without layers. */
  spatialLayer: number | null;
  layers: number;
}

interface Entry {
  tile: string;
  layers: number;
  paused: boolean;
  layer: number | null;
  /** Requests for one consumer go one after another, so a pause never overtakes a resume. */
  queue: Promise<void>;
}

/**
 * Receives video only for the tiles on screen: the consumers of everyone else stay paused on the
 * server (nothing is forwarded to this person for them), and a shown tile's consumer asks for
 * the simulcast layer its size needs. Video consumers arrive paused (the server creates them so)
 * and are resumed here only once shown. Audio is not handled here: it always plays.
 */
export class VideoDemand {
  private view: StageView = new Map();
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly connection: Pick<Connection, 'request'>) {}

  /** The stage changed: resume what it shows (at the layer its size needs), pause the rest. */
  show(view: StageView): void {
    this.view = view;
    for (const consumerId of this.entries.keys()) void this.sync(consumerId);
  }

  /** A new video consumer for a tile, still paused on the server; resolves once the server has what the stage needs. */
  add(consumerId: string, tile: string, layers: number): Promise<void> {
    this.entries.set(consumerId, {
      tile,
      layers,
      paused: true,
      layer: null,
      queue: Promise.resolve(),
    });
    return this.sync(consumerId);
  }

  /** Resolves once every request queued so far has been answered. */
  async idle(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.queue));
  }

  remove(consumerId: string): void {
    this.entries.delete(consumerId);
  }

  states(): VideoDemandState[] {
    return [...this.entries].map(([consumerId, e]) => ({
      consumerId,
      tile: e.tile,
      paused: e.paused,
      spatialLayer: e.layer,
      layers: e.layers,
    }));
  }

  /**
   * Queues bringing one consumer to what the stage wants now (read when the turn comes, so that
   * quick page flips coalesce). A refused or lost request leaves the entry as it was: the next
   * change tries again, and a reconnect builds a new session anyway. Never rejects.
   */
  private sync(consumerId: string): Promise<void> {
    const entry = this.entries.get(consumerId);
    if (!entry) return Promise.resolve();
    entry.queue = entry.queue.then(() => this.apply(consumerId, entry)).catch(() => undefined);
    return entry.queue;
  }

  private async apply(consumerId: string, entry: Entry): Promise<void> {
    if (this.entries.get(consumerId) !== entry) return;
    const wanted = this.view.get(entry.tile);
    if (wanted === undefined) {
      if (entry.paused) return;
      await this.connection.request('media:pauseConsumer', { consumerId });
      entry.paused = true;
      return;
    }
    const layer = entry.layers > 1 ? Math.min(wanted, entry.layers - 1) : null;
    // The layer first, so the first frames after a resume already have the right size.
    if (layer !== null && layer !== entry.layer) {
      await this.connection.request('media:setPreferredLayers', {
        consumerId,
        spatialLayer: layer,
      });
      entry.layer = layer;
    }
    if (!entry.paused) return;
    await this.connection.request('media:resumeConsumer', { consumerId });
    entry.paused = false;
  }
}
