import type { LoggedEvent } from './connection.js';
import type { MediaKind } from '../../src/protocol/events.js';
import type { InboundStats, TransportInfo } from './media-session.js';
import type { Phase } from './phases.js';

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
}

declare global {
  interface Window {
    conveneDebug?: ConveneDebug;
  }
}

export function exposeDebug(debug: ConveneDebug): void {
  window.conveneDebug = debug;
}
