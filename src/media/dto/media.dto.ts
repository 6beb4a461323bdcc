import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import {
  CONSUMER_TYPES,
  type ConsumerStats,
  type ConsumerType,
  MEDIA_KINDS,
  MEDIA_SOURCES,
  type MediaKind,
  type MediaSource,
  type MediaLayers,
  type MediaTotals,
  type MuteAllPayload,
  type MuteParticipantPayload,
  type ParticipantMediaStats,
  type PipeStats,
  type ProducerStats,
  type RoomMediaStats,
  type RouterPlacement,
  type StreamStats,
} from '../../protocol/events.js';

// The admin API's side of the media protocol types: classes so that the OpenAPI document can
// describe them, each implementing its protocol type so that the two cannot drift apart.

export class MuteParticipantDto implements Pick<MuteParticipantPayload, 'kind' | 'hard'> {
  /** Which of the participant's streams to pause. */
  @IsIn(MEDIA_KINDS)
  kind!: MediaKind;

  /**
   * Hard mute: the participant cannot unmute this (resume it, or send it anew) until a host
   * allows it (`allow-unmute`), also after reconnecting. Default false: they may unmute at once.
   */
  @IsOptional()
  @IsBoolean()
  hard?: boolean;
}

export class MediaKindDto {
  /** Microphone (`audio`) or camera (`video`). */
  @IsIn(MEDIA_KINDS)
  kind!: MediaKind;
}

export class HostMutesDto {
  /** What a host still muted hard for the participant. */
  @ApiProperty({ enum: MEDIA_KINDS, isArray: true })
  mutedByHost!: MediaKind[];
}

export class MuteAllDto implements MuteAllPayload {
  /** Hard mute: nobody muted may unmute until a host allows them. Default false. */
  @IsOptional()
  @IsBoolean()
  hard?: boolean;
}

export class MuteAllResultDto {
  /** Whose microphones were muted: everyone in the room who is not a host. */
  participantIds!: string[];
}

export class MuteResultDto {
  /** The producers that were paused (empty if nothing of that kind was being sent). */
  producerIds!: string[];
}

export class StreamStatsDto implements StreamStats {
  id!: string;
  kind!: MediaKind;
  paused!: boolean;
  /** Bits per second over mediasoup's last measurement window. */
  bitrate!: number;
  packetCount!: number;
  byteCount!: number;
}

export class ProducerStatsDto extends StreamStatsDto implements ProducerStats {
  /** What the producer carries: a camera, a microphone, a shared screen or its sound. */
  @ApiProperty({ enum: MEDIA_SOURCES })
  source!: MediaSource;
}

export class ConsumerLayersDto implements MediaLayers {
  /** Spatial layer index from 0 (simulcast: the encoding, lowest resolution first). */
  spatialLayer!: number;
  /** Temporal layer index from 0 (frame rate), when the codec has temporal layers. */
  temporalLayer?: number;
}

export class ConsumerStatsDto extends StreamStatsDto implements ConsumerStats {
  producerId!: string;
  /** How mediasoup forwards the stream; only simulcast and svc consumers have layers to choose from. */
  // The list stated, not inferred from the union type: its order there depends on the compiler.
  @ApiProperty({ enum: CONSUMER_TYPES })
  type!: ConsumerType;
  /** Simulcast/svc only: the layers the receiver asked for with media:setPreferredLayers (the highest until it asks). */
  preferredLayers?: ConsumerLayersDto | null;
  /** Simulcast/svc only: the layers being forwarded now; null while none is (paused, or no keyframe of the layer yet). */
  currentLayers?: ConsumerLayersDto | null;
}

export class ParticipantMediaDto implements ParticipantMediaStats {
  participantId!: string;
  /** The node holding this part of the participant's media. */
  nodeId!: string;
  transports!: number;
  /** What the participant sends (received by the server). */
  producers!: ProducerStatsDto[];
  /** What the participant receives (sent by the server). */
  consumers!: ConsumerStatsDto[];
}

export class RouterPlacementDto implements RouterPlacement {
  workerPid!: number;
  workerIndex!: number;
}

export class MediaTotalsDto implements MediaTotals {
  transports!: number;
  producers!: number;
  consumers!: number;
}

export class PipeStatsDto implements PipeStats {
  /** `in`: producers of `peer` piped to this node; `out`: this node's producers piped to `peer`. */
  direction!: 'in' | 'out';
  peer!: string;
  producers!: number;
}

export class NodeMediaDto {
  nodeId!: string;
  pipes!: PipeStatsDto[];
}

export class RoomMediaDto implements RoomMediaStats {
  roomId!: string;
  /** The worker hosting the room's first router on the node that answered; null while it has no media there. */
  router!: RouterPlacementDto | null;
  /** Every participant's media on every live node (one entry per node a participant uses). */
  participants!: ParticipantMediaDto[];
  totals!: MediaTotalsDto;
  /** Per live node, its pipes to and from the others for this room. */
  nodes!: NodeMediaDto[];
}
