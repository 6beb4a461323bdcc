import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsUUID, Max, Min } from 'class-validator';
import {
  type AnswerUnmutePayload,
  type ConnectTransportPayload,
  type ConsumePayload,
  type ConsumerRefPayload,
  type CreateTransportPayload,
  MEDIA_KINDS,
  MEDIA_SOURCES,
  type MediaKind,
  type MediaSource,
  type MuteAllPayload,
  type MuteParticipantPayload,
  type ParticipantKindPayload,
  type PreferredLayersPayload,
  type ProducePayload,
  type ProducerRefPayload,
  type StopShareOfPayload,
  TRANSPORT_DIRECTIONS,
  type TransportDirection,
} from '../../protocol/events.js';

// Shapes of the media socket messages. Identity never comes from here; mediasoup validates the
// contents of rtpParameters / rtpCapabilities / dtlsParameters itself.

export class CreateTransportDto implements CreateTransportPayload {
  @IsIn(TRANSPORT_DIRECTIONS)
  direction!: TransportDirection;
}

export class ConnectTransportDto implements ConnectTransportPayload {
  @IsUUID()
  transportId!: string;

  @IsObject()
  dtlsParameters!: Record<string, unknown>;
}

export class ProduceDto implements ProducePayload {
  @IsUUID()
  transportId!: string;

  @IsIn(MEDIA_KINDS)
  kind!: MediaKind;

  @IsObject()
  rtpParameters!: Record<string, unknown>;

  @IsOptional()
  @IsIn(MEDIA_SOURCES)
  source?: MediaSource;

  @IsOptional()
  @IsObject()
  appData?: Record<string, unknown>;
}

export class ConsumeDto implements ConsumePayload {
  @IsUUID()
  transportId!: string;

  @IsUUID()
  producerId!: string;

  @IsObject()
  rtpCapabilities!: Record<string, unknown>;
}

export class ConsumerRefDto implements ConsumerRefPayload {
  @IsUUID()
  consumerId!: string;
}

export class ProducerRefDto implements ProducerRefPayload {
  @IsUUID()
  producerId!: string;
}

export class PreferredLayersDto implements PreferredLayersPayload {
  @IsUUID()
  consumerId!: string;

  @IsInt()
  @Min(0)
  @Max(9)
  spatialLayer!: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(9)
  temporalLayer?: number;
}

export class ParticipantKindMessageDto implements ParticipantKindPayload {
  @IsUUID()
  participantId!: string;

  @IsIn(MEDIA_KINDS)
  kind!: MediaKind;
}

export class MuteParticipantMessageDto
  extends ParticipantKindMessageDto
  implements MuteParticipantPayload
{
  @IsOptional()
  @IsBoolean()
  hard?: boolean;
}

export class MuteAllMessageDto implements MuteAllPayload {
  @IsOptional()
  @IsBoolean()
  hard?: boolean;
}

export class AnswerUnmuteMessageDto implements AnswerUnmutePayload {
  @IsIn(MEDIA_KINDS)
  kind!: MediaKind;

  @IsBoolean()
  accept!: boolean;
}

export class StopShareOfMessageDto implements StopShareOfPayload {
  @IsUUID()
  participantId!: string;
}
