import { Injectable } from '@nestjs/common';

/**
 * One connection's session changes (room:join, room:leave, the end at token expiry, the clean-up
 * after it closed) run one after another, in the order they arrived. Socket.IO starts a handler
 * for every event at once: a leave sent right after a join finished while the join was still
 * reading the database, and the join then put the connection back in the room (found by the
 * checked model, src/conference/routing.pml). The connections are this node's own sockets, so
 * keeping their order is this node's job; what other connections do is decided in presence.
 */
@Injectable()
export class ConnectionTurns {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier turn of the connection has settled; settles as `work` does. */
  run<T>(socketId: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(socketId) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(socketId, tail);
    void tail.then(() => {
      if (this.tails.get(socketId) === tail) this.tails.delete(socketId);
    });
    return result;
  }
}
