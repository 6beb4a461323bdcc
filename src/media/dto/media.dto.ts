import { IsIn } from 'class-validator';
import type { MediaKind } from '../../protocol/events.js';

export class MuteParticipantDto {
  /** Which of the participant's streams to pause. */
  @IsIn(['audio', 'video'])
  kind!: MediaKind;
}

export class MuteResultDto {
  /** The producers that were paused (empty if nothing of that kind was being sent). */
  producerIds!: string[];
}

export class StreamStatsDto {
  id!: string;
  kind!: MediaKind;
  paused!: boolean;
  /** Bits per second over mediasoup's last measurement window. */
  bitrate!: number;
  packetCount!: number;
  byteCount!: number;
}

export class ConsumerStatsDto extends StreamStatsDto {
  producerId!: string;
}

export class ParticipantMediaDto {
  participantId!: string;
  transports!: number;
  /** What the participant sends (received by the server). */
  producers!: StreamStatsDto[];
  /** What the participant receives (sent by the server). */
  consumers!: ConsumerStatsDto[];
}

export class RouterPlacementDto {
  workerPid!: number;
  workerIndex!: number;
}

export class MediaTotalsDto {
  transports!: number;
  producers!: number;
  consumers!: number;
}

export class RoomMediaDto {
  roomId!: string;
  /** The worker hosting the room's router; null while the room has no media. */
  router!: RouterPlacementDto | null;
  participants!: ParticipantMediaDto[];
  totals!: MediaTotalsDto;
}
