import { Injectable, Logger } from '@nestjs/common';
import { ConferenceServer } from '../conference/conference-server.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** The reconnect delay suggested to clients (they spread it), and how long they get to move. */
const RECONNECT_MS = 1_000;
const MOVE_MS = 5_000;

/** How the server ends a connection that did not move by itself. */
export const DRAINED_ENDING = {
  reason: 'server-shutdown',
  code: ErrorCode.SERVER_DRAINING,
  message: 'This server is shutting down; reconnect to carry on',
} as const;

/**
 * This node's connections during a drain: each is told to move (`server:draining`), those still
 * here after a few seconds (or half the time left) are ended by the server, and the drain is done
 * once all are gone and their cleanups (presence, connection slots) have run, so that they can
 * join on another node (a join there replaces a session still listed here anyway).
 */
@Injectable()
export class ConnectionDrain {
  private readonly logger = new Logger('ConnectionDrain');
  /** Cleanups of closed connections still running. */
  private readonly cleanups = new Set<Promise<void>>();
  /** Called after each disconnect while a drain waits, to see whether every connection is gone. */
  private onGone: (() => void) | undefined;

  constructor(private readonly server: ConferenceServer) {}

  /** A connection closed; `cleanup` is what its leaving still has to do. */
  async closed(cleanup: Promise<void> | undefined): Promise<void> {
    if (cleanup) {
      this.cleanups.add(cleanup);
      await cleanup.finally(() => this.cleanups.delete(cleanup));
    }
    this.onGone?.();
  }

  async move(deadline: Date): Promise<void> {
    if (!this.server.ready) return;
    const closesInMs = Math.min(MOVE_MS, Math.floor((deadline.getTime() - Date.now()) / 2));
    this.logger.log({ connections: this.server.localConnections }, 'asking connections to move');
    this.server.tellLocal('server:draining', {
      reconnectInMs: Math.min(RECONNECT_MS, closesInMs),
      closesInMs,
    });
    await this.allGone(closesInMs);
    if (this.server.localConnections > 0) {
      this.logger.log({ connections: this.server.localConnections }, 'ending connections left');
      this.server.endLocal(DRAINED_ENDING);
      await this.allGone(Math.max(0, deadline.getTime() - Date.now()));
    }
    await Promise.allSettled([...this.cleanups]);
  }

  /** Resolves when this node holds no connection any more, or after `timeoutMs`. */
  private allGone(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onGone = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.onGone = () => {
        if (this.server.localConnections === 0) done();
      };
      this.onGone();
    });
  }
}
