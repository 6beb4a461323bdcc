import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MediaCluster } from './media-cluster.js';
import { MediaNotifier } from './media-notifier.js';
import { type MediaCaller, MediaService } from './media.service.js';

/**
 * Stopping screen shares: one's own (the button, or the browser's own "stop sharing"), or
 * someone's by a host or the admin API, on whichever node the share lives. Closing a share's
 * producers tells the room (`media:producerClosed`); a stop by a host tells the sharer too.
 */
@Injectable()
export class ScreenShare {
  constructor(
    private readonly media: MediaService,
    private readonly cluster: MediaCluster,
    private readonly notifier: MediaNotifier,
  ) {}

  /** Closes the caller's own share (none: nothing happens); the producer ids closed. */
  stopOwn(caller: MediaCaller): string[] {
    return this.media.stopOwnShare(caller);
  }

  /**
   * Closes a participant's share for a host: PARTICIPANT_NOT_FOUND unless they are in the room,
   * SHARE_NOT_FOUND if they share nothing. They get `media:shareStopped`.
   */
  async stopFor(roomId: string, participantId: string): Promise<string[]> {
    await this.media.assertPresent(roomId, participantId);
    const producerIds = await this.cluster.stopShare(roomId, participantId);
    if (producerIds.length === 0)
      throw new DomainError(ErrorCode.SHARE_NOT_FOUND, 'This participant is not sharing a screen');
    this.notifier.shareStopped(participantId, { producerIds, byHost: true });
    return producerIds;
  }
}
