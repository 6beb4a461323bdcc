import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import type { ConferenceSocket } from '../conference/conference-socket.js';
import { HostGuard, JoinedGuard } from '../conference/conference.guards.js';
import type { AckOf } from '../protocol/events.js';
import {
  AnswerUnmuteMessageDto,
  MuteAllMessageDto,
  MuteParticipantMessageDto,
  ParticipantKindMessageDto,
} from './dto/media-messages.js';
import { HostMute } from './host-mute.js';

/** Host mutes over the socket (the host's room from their verified identity), and the answer to an ask. */
@ConferenceNamespaceGateway()
@UseGuards(JoinedGuard)
export class HostMuteGateway {
  constructor(private readonly hostMute: HostMute) {}

  @On('media:muteParticipant')
  @UseGuards(HostGuard)
  async muteParticipant(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: MuteParticipantMessageDto,
  ): Promise<AckOf<'media:muteParticipant'>> {
    const { roomId } = socket.data.identity;
    await this.hostMute.mute(roomId, body.participantId, body.kind, body.hard);
    return { ok: true };
  }

  @On('media:allowUnmute')
  @UseGuards(HostGuard)
  async allowUnmute(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ParticipantKindMessageDto,
  ): Promise<AckOf<'media:allowUnmute'>> {
    const { roomId } = socket.data.identity;
    return {
      ok: true,
      mutedByHost: await this.hostMute.allowUnmute(roomId, body.participantId, body.kind),
    };
  }

  @On('media:muteAll')
  @UseGuards(HostGuard)
  async muteAll(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: MuteAllMessageDto,
  ): Promise<AckOf<'media:muteAll'>> {
    const { roomId } = socket.data.identity;
    return { ok: true, participantIds: await this.hostMute.muteAll(roomId, body.hard) };
  }

  @On('media:askToUnmute')
  @UseGuards(HostGuard)
  async askToUnmute(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ParticipantKindMessageDto,
  ): Promise<AckOf<'media:askToUnmute'>> {
    await this.hostMute.askToUnmute(socket.data.identity.roomId, body.participantId, body.kind);
    return { ok: true };
  }

  @On('media:answerUnmute')
  async answerUnmute(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: AnswerUnmuteMessageDto,
  ): Promise<AckOf<'media:answerUnmute'>> {
    const { roomId, participantId, role } = socket.data.identity;
    await this.hostMute.answer(
      { roomId, participantId, role, socketId: socket.id },
      body.kind,
      body.accept,
    );
    return { ok: true };
  }
}
