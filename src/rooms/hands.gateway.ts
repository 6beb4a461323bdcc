import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { IsUUID } from 'class-validator';
import { EmptyDto } from '../common/validation.js';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import { HostGuard, JoinedGuard } from '../conference/conference.guards.js';
import type { ConferenceSocket } from '../conference/conference-socket.js';
import type { AckOf, ParticipantRefPayload } from '../protocol/events.js';
import { Hands } from './hands.js';

class LowerHandDto implements ParticipantRefPayload {
  @IsUUID()
  participantId!: string;
}

/** Raised hands: your own (raise, lower), and a host lowering anyone's. */
@ConferenceNamespaceGateway()
@UseGuards(JoinedGuard)
export class HandsGateway {
  constructor(private readonly hands: Hands) {}

  @On('hand:raise')
  async raise(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<AckOf<'hand:raise'>> {
    const { roomId, participantId } = socket.data.identity;
    return { ok: true, raisedAt: (await this.hands.raise(roomId, participantId)).toISOString() };
  }

  @On('hand:lower')
  async lower(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<AckOf<'hand:lower'>> {
    const { roomId, participantId } = socket.data.identity;
    await this.hands.lower(roomId, participantId, false);
    return { ok: true };
  }

  @On('hand:lowerParticipant')
  @UseGuards(HostGuard)
  async lowerParticipant(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: LowerHandDto,
  ): Promise<AckOf<'hand:lowerParticipant'>> {
    await this.hands.lower(socket.data.identity.roomId, body.participantId, true);
    return { ok: true };
  }
}
