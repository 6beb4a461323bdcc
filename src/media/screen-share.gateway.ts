import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { EmptyDto } from '../common/validation.js';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import type { ConferenceSocket } from '../conference/conference-socket.js';
import { HostGuard, JoinedGuard } from '../conference/conference.guards.js';
import type { AckOf } from '../protocol/events.js';
import { StopShareOfMessageDto } from './dto/media-messages.js';
import { ScreenShare } from './screen-share.js';

/** Stopping screen shares over the socket: one's own, or (hosts) someone else's in their room. */
@ConferenceNamespaceGateway()
@UseGuards(JoinedGuard)
export class ScreenShareGateway {
  constructor(private readonly shares: ScreenShare) {}

  @On('media:stopShare')
  stopShare(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): AckOf<'media:stopShare'> {
    const { roomId, participantId, role } = socket.data.identity;
    const caller = { roomId, participantId, role, socketId: socket.id };
    return { ok: true, producerIds: this.shares.stopOwn(caller) };
  }

  @On('media:stopParticipantShare')
  @UseGuards(HostGuard)
  async stopParticipantShare(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: StopShareOfMessageDto,
  ): Promise<AckOf<'media:stopParticipantShare'>> {
    const { roomId } = socket.data.identity;
    return { ok: true, producerIds: await this.shares.stopFor(roomId, body.participantId) };
  }
}
