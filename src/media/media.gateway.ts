import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayDisconnect } from '@nestjs/websockets';
import { EmptyDto } from '../common/validation.js';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import type { AckOf } from '../protocol/events.js';
import type { ConferenceSocket } from '../conference/conference-socket.js';
import { HostGuard, JoinedGuard } from '../conference/conference.guards.js';
import {
  ConnectTransportDto,
  ConsumeDto,
  ConsumerRefDto,
  CreateTransportDto,
  PreferredLayersDto,
  ProduceDto,
  ProducerRefDto,
} from './dto/media-messages.js';
import { IceServers } from './ice-servers.js';
import { MediaConsumers } from './media-consumers.js';
import { type MediaCaller, MediaService } from './media.service.js';

/** Identity from the verified socket, never from the payload. */
function callerOf(socket: ConferenceSocket): MediaCaller {
  const { roomId, participantId, role } = socket.data.identity;
  return { roomId, participantId, role, socketId: socket.id };
}

/**
 * Media signaling on the /conference namespace: translates messages to MediaService calls. Every
 * media message needs a joined connection.
 */
@ConferenceNamespaceGateway()
@UseGuards(JoinedGuard)
export class MediaGateway implements OnGatewayDisconnect<ConferenceSocket> {
  constructor(
    private readonly media: MediaService,
    private readonly consumers: MediaConsumers,
    private readonly ice: IceServers,
  ) {}

  handleDisconnect(socket: ConferenceSocket): void {
    if (!socket.data.identity) return;
    this.media.releaseConnection(
      socket.data.identity.roomId,
      socket.data.identity.participantId,
      socket.id,
    );
  }

  @On('media:getRouterRtpCapabilities')
  async capabilities(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<AckOf<'media:getRouterRtpCapabilities'>> {
    return { ok: true, rtpCapabilities: await this.media.rtpCapabilities(callerOf(socket)) };
  }

  @On('media:createTransport')
  async createTransport(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: CreateTransportDto,
  ): Promise<AckOf<'media:createTransport'>> {
    const caller = callerOf(socket);
    return {
      ok: true,
      transport: await this.media.createTransport(caller, body.direction),
      // TURN credentials for this participant (from the verified socket), fresh per transport.
      iceServers: this.ice.forParticipant(caller.participantId),
    };
  }

  @On('media:connectTransport')
  async connectTransport(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ConnectTransportDto,
  ): Promise<AckOf<'media:connectTransport'>> {
    await this.media.connectTransport(callerOf(socket), body.transportId, body.dtlsParameters);
    return { ok: true };
  }

  @On('media:produce')
  async produce(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ProduceDto,
  ): Promise<AckOf<'media:produce'>> {
    return { ok: true, producerId: await this.media.produce(callerOf(socket), body) };
  }

  @On('media:consume')
  async consume(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ConsumeDto,
  ): Promise<AckOf<'media:consume'>> {
    return { ok: true, consumer: await this.consumers.consume(callerOf(socket), body) };
  }

  @On('media:pauseConsumer')
  async pauseConsumer(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ConsumerRefDto,
  ): Promise<AckOf<'media:pauseConsumer'>> {
    await this.consumers.pauseConsumer(callerOf(socket), body.consumerId);
    return { ok: true };
  }

  @On('media:resumeConsumer')
  async resumeConsumer(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ConsumerRefDto,
  ): Promise<AckOf<'media:resumeConsumer'>> {
    await this.consumers.resumeConsumer(callerOf(socket), body.consumerId);
    return { ok: true };
  }

  @On('media:setPreferredLayers')
  async setPreferredLayers(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: PreferredLayersDto,
  ): Promise<AckOf<'media:setPreferredLayers'>> {
    await this.consumers.setPreferredLayers(
      callerOf(socket),
      body.consumerId,
      body.spatialLayer,
      body.temporalLayer,
    );
    return { ok: true };
  }

  @On('media:pauseProducer')
  async pauseProducer(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ProducerRefDto,
  ): Promise<AckOf<'media:pauseProducer'>> {
    await this.media.pauseProducer(callerOf(socket), body.producerId);
    return { ok: true };
  }

  @On('media:resumeProducer')
  async resumeProducer(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ProducerRefDto,
  ): Promise<AckOf<'media:resumeProducer'>> {
    await this.media.resumeProducer(callerOf(socket), body.producerId);
    return { ok: true };
  }

  @On('media:closeProducer')
  closeProducer(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ProducerRefDto,
  ): AckOf<'media:closeProducer'> {
    this.media.closeProducer(callerOf(socket), body.producerId);
    return { ok: true };
  }

  @On('media:listProducers')
  async listProducers(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<AckOf<'media:listProducers'>> {
    return { ok: true, producers: await this.media.listProducers(callerOf(socket).roomId) };
  }

  @On('media:roomStats')
  @UseGuards(HostGuard)
  async roomStats(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() _body: EmptyDto,
  ): Promise<AckOf<'media:roomStats'>> {
    return { ok: true, media: await this.media.roomStats(socket.data.identity.roomId) };
  }
}
