import type { LoggedEvent } from './connection.js';
import type { MediaKind } from '../../src/protocol/events.js';
import type { InboundStats, TransportInfo } from './media-session.js';
import type { Phase } from './phases.js';
import type { LayoutMode } from './ui/stage-layout.js';
import type { VideoDemandState } from './video-demand.js';

/** What `#debug=1` exposes on `window.conveneDebug` (browser tests read it). */
export interface ConveneDebug {
  /** Every server event this page received, in order. */
  events(): LoggedEvent[];
  inboundStats(): Promise<InboundStats[]>;
  /** Our transports (id, selected candidate types) and producer ids. */
  media(): Promise<{
    transports: TransportInfo[];
    producers: Partial<Record<MediaKind, string>>;
  }>;
  phase(): Phase;
  /** Each video consumer as the server was last told: paused or not, which layer. */
  videoDemand(): VideoDemandState[];
  /** The stage's layout and page. */
  stage(): { mode: LayoutMode; page: number; pageCount: number; main: string | null };
}

declare global {
  interface Window {
    conveneDebug?: ConveneDebug;
  }
}

export function exposeDebug(debug: ConveneDebug): void {
  window.conveneDebug = debug;
}
