import { IsIn, IsInt, IsObject, IsOptional, IsUUID, Max, Min } from 'class-validator';
import type { MediaKind, TransportDirection } from '../../protocol/events.js';

// Shapes of the media socket messages. Identity never comes from here; mediasoup validates the
// contents of rtpParameters / rtpCapabilities / dtlsParameters itself.

export class CreateTransportDto {
  @IsIn(['send', 'recv'])
  direction!: TransportDirection;
}

export class ConnectTransportDto {
  @IsUUID()
  transportId!: string;

  @IsObject()
  dtlsParameters!: Record<string, unknown>;
}

export class ProduceDto {
  @IsUUID()
  transportId!: string;

  @IsIn(['audio', 'video'])
  kind!: MediaKind;

  @IsObject()
  rtpParameters!: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  appData?: Record<string, unknown>;
}

export class ConsumeDto {
  @IsUUID()
  transportId!: string;

  @IsUUID()
  producerId!: string;

  @IsObject()
  rtpCapabilities!: Record<string, unknown>;
}

export class ConsumerRefDto {
  @IsUUID()
  consumerId!: string;
}

export class ProducerRefDto {
  @IsUUID()
  producerId!: string;
}

export class PreferredLayersDto {
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

export class MuteParticipantMessageDto {
  @IsUUID()
  participantId!: string;

  @IsIn(['audio', 'video'])
  kind!: MediaKind;
}
