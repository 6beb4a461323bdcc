/**
 * Which tiles the stage shows, without the DOM: the grid (pages of at most GRID_PAGE_SIZE tiles)
 * or the speaker layout (one person large, the others in a strip of pages of STRIP_PAGE_SIZE),
 * and the simulcast layer a tile of some size needs. Pure, so that it is tested without a page.
 */

export const LAYOUT_MODES = ['grid', 'speaker'] as const;
export type LayoutMode = (typeof LAYOUT_MODES)[number];

export const GRID_PAGE_SIZE = 9;
export const STRIP_PAGE_SIZE = 6;

export interface StageInput {
  /** Present people in display order, this person first. */
  ids: string[];
  /** Screen shares' tiles, oldest first: the first is large in the speaker layout, and they lead the grid. */
  shares?: string[];
  selfId: string;
  mode: LayoutMode;
  /** The page asked for, from 0; clamped to the pages there are. */
  page: number;
  speakerId: string | null;
  /** Who was large before, kept while they are present and no one else speaks. */
  previousMain: string | null;
}

export interface Arrangement {
  /** Speaker layout: the person shown large (never this person unless they are alone). */
  main: string | null;
  /** The tiles of the current page (grid), or of the strip's current page (speaker). */
  tiles: string[];
  page: number;
  pageCount: number;
}

/** The tiles on screen now and the page they are on. */
export function arrange(input: StageInput): Arrangement {
  const { ids, mode } = input;
  const tiles = [...(input.shares ?? []), ...ids];
  if (mode === 'grid') return paged(tiles, null, input.page, GRID_PAGE_SIZE);
  // A screen share is what the room looks at: it is large, whoever speaks.
  const main = input.shares?.[0] ?? mainSpeaker(input);
  return paged(
    tiles.filter((id) => id !== main),
    main,
    input.page,
    STRIP_PAGE_SIZE,
  );
}

function paged(ids: string[], main: string | null, page: number, size: number): Arrangement {
  const pageCount = Math.max(1, Math.ceil(ids.length / size));
  const current = Math.min(Math.max(0, Math.trunc(page)), pageCount - 1);
  return { main, tiles: ids.slice(current * size, (current + 1) * size), page: current, pageCount };
}

/** The active speaker, or who was large before, or the first other person, or this person alone. */
function mainSpeaker({ ids, selfId, speakerId, previousMain }: StageInput): string | null {
  const present = (id: string | null): id is string => id !== null && ids.includes(id);
  if (present(speakerId) && speakerId !== selfId) return speakerId;
  if (present(previousMain) && previousMain !== selfId) return previousMain;
  return ids.find((id) => id !== selfId) ?? ids[0] ?? null;
}

/**
 * The spatial layer (0 = lowest resolution) for a tile `heightPx` device pixels high, out of
 * `layers`: a small strip or grid tile takes the lowest, a large speaker tile the highest.
 */
export function layerForHeight(heightPx: number, layers: number): number {
  // A camera's layers are about 180, 360 and 720 pixels high: the smallest that the tile
  // scales up by a third at most.
  const wanted = heightPx <= 240 ? 0 : heightPx <= 480 ? 1 : 2;
  return Math.max(0, Math.min(wanted, layers - 1));
}

/** How many spatial layers a consumer offers, from mediasoup's scalabilityMode (`S3T3`, `L1T3`). */
export function spatialLayersOf(scalabilityMode: string | undefined): number {
  const match = /^[LS](\d+)T\d+/.exec(scalabilityMode ?? '');
  return match ? Number(match[1]) : 1;
}

/**
 * The columns and tile width that show `count` 16:9 tiles as large as possible in a box of
 * `width` x `height` pixels with `gap` between them, none overlapping and nothing scrolling.
 */
export function fitGrid(
  count: number,
  width: number,
  height: number,
  gap: number,
): { columns: number; tileWidth: number } {
  let best = { columns: 1, tileWidth: 0 };
  for (let columns = 1; columns <= Math.max(1, count); columns++) {
    const rows = Math.ceil(count / columns);
    const byWidth = (width - gap * (columns - 1)) / columns;
    const byHeight = ((height - gap * (rows - 1)) / rows) * (16 / 9);
    const tileWidth = Math.floor(Math.max(0, Math.min(byWidth, byHeight)));
    if (tileWidth > best.tileWidth) best = { columns, tileWidth };
  }
  return best;
}
