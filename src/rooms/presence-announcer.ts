import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type PresenceConfig, presenceConfig } from '../config/configuration.js';
import { ConferenceServer } from '../conference/conference-server.js';
import type { LeaveReason, ParticipantView, PresenceChange } from '../protocol/events.js';

interface Batch {
  changes: PresenceChange[];
  timer: NodeJS.Timeout;
}

/**
 * Tells a room who joined and who left. In a small room each change is its own event at once
 * (`participant:joined`, `participant:left`). In a large one, every participant would otherwise
 * be sent one packet per join: 600 people joining a room of 600 is 180,000 packets, and each
 * join's fan-out delays the next join's ack. There the changes of `batchMs` go out together as
 * one `participants:changed`, in the order they happened; once a room has a batch waiting, its
 * later changes join that batch, so no change overtakes another.
 *
 * This is an outgoing buffer, not state: presence itself is decided by the PresenceStore, and a
 * node that stops loses at most one interval of announcements, which the room's clients also
 * learn from the node's own leave announcements elsewhere.
 */
@Injectable()
export class PresenceAnnouncer implements OnModuleDestroy {
  private readonly batches = new Map<string, Batch>();

  constructor(
    private readonly server: ConferenceServer,
    @Inject(presenceConfig.KEY) private readonly config: PresenceConfig,
  ) {}

  /** `participant` joined a room of `roomSize`; `socketId` (their connection) is not told alone. */
  joined(roomId: string, roomSize: number, participant: ParticipantView, socketId: string): void {
    if (this.batches.has(roomId) || roomSize > this.config.batchAbove)
      this.add(roomId, { type: 'joined', participant });
    else this.server.tellRoom(roomId, 'participant:joined', participant, { socketId });
  }

  /** The participant left a room that has `roomSize` participants now. */
  left(roomId: string, roomSize: number, participantId: string, reason: LeaveReason): void {
    if (this.batches.has(roomId) || roomSize >= this.config.batchAbove)
      this.add(roomId, { type: 'left', participantId, reason });
    else this.server.tellRoom(roomId, 'participant:left', { participantId, reason });
  }

  private add(roomId: string, change: PresenceChange): void {
    const batch = this.batches.get(roomId);
    if (batch) {
      batch.changes.push(change);
      return;
    }
    const timer = setTimeout(() => this.flush(roomId), this.config.batchMs);
    this.batches.set(roomId, { changes: [change], timer });
  }

  private flush(roomId: string): void {
    const batch = this.batches.get(roomId);
    if (!batch) return;
    this.batches.delete(roomId);
    clearTimeout(batch.timer);
    this.server.tellRoom(roomId, 'participants:changed', { changes: batch.changes });
  }

  /** On shutdown what is waiting goes out now rather than never. */
  onModuleDestroy(): void {
    for (const roomId of [...this.batches.keys()]) this.flush(roomId);
  }
}
