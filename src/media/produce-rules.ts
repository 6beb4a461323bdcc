import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { mediaConfig, type MediaConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind, MediaSource } from '../protocol/events.js';
import {
  defaultSource,
  isShareSource,
  shareRefusal,
  SOURCE_KINDS,
} from '../protocol/screen-share.js';
import { HostControls } from '../rooms/host-controls.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { checkProducerKind } from './media-policy.js';
import type { MediaCaller } from './media.service.js';

/** The source a produce declares (its kind's camera or microphone when it declares none), if it fits the kind. */
export function sourceOf(kind: MediaKind, source: MediaSource | undefined): MediaSource {
  const declared = source ?? defaultSource(kind);
  if (SOURCE_KINDS[declared] !== kind) {
    throw new DomainError(
      ErrorCode.SOURCE_KIND_MISMATCH,
      `A ${declared} producer sends ${SOURCE_KINDS[declared]}, not ${kind}`,
    );
  }
  return declared;
}

/**
 * Who may send what, checked before a producer is made: codecs of the declared kind, a source of
 * that kind, no video from guests in an audio-only deployment, a screen share only by whom the
 * room (`screenShare`) and the deployment (CONVENE_GUESTS_MAY_SHARE) allow, and no camera or
 * microphone that a host muted hard (a host stops a share instead of muting it).
 */
@Injectable()
export class ProducePolicy {
  constructor(
    private readonly hostControls: HostControls,
    private readonly membership: RoomMembership,
    @Inject(mediaConfig.KEY) private readonly config: MediaConfig,
  ) {}

  /** Throws the first rule the request breaks; returns its source. */
  async admit(
    caller: MediaCaller,
    request: { kind: MediaKind; rtpParameters: object; source?: MediaSource },
  ): Promise<MediaSource> {
    const source = sourceOf(request.kind, request.source);
    checkProducerKind(request, caller.role, this.config.guestAudioOnly);
    if (isShareSource(source)) await this.assertMayShare(caller);
    else await this.assertNotMutedByHost(caller, request.kind, source);
    return source;
  }

  /** SHARE_NOT_ALLOWED unless the room and the deployment let the caller share a screen. */
  async assertMayShare(caller: MediaCaller): Promise<void> {
    const policy = await this.membership.screenShare(caller.roomId);
    const refusal = shareRefusal(caller.role, policy, this.config.guestsMayShare);
    if (refusal) throw new DomainError(ErrorCode.SHARE_NOT_ALLOWED, refusal);
  }

  /** MUTED_BY_HOST while a host muted the caller's camera or microphone (`kind`) hard. */
  async assertNotMutedByHost(
    caller: MediaCaller,
    kind: MediaKind,
    source: MediaSource = defaultSource(kind),
  ): Promise<void> {
    if (isShareSource(source)) return;
    const muted = await this.hostControls.mutedByHost(caller.roomId, caller.participantId);
    if (!muted.includes(kind)) return;
    throw new DomainError(
      ErrorCode.MUTED_BY_HOST,
      kind === 'audio'
        ? 'A host muted your microphone; you can unmute once a host allows it'
        : 'A host turned off your camera; you can turn it on once a host allows it',
    );
  }
}
