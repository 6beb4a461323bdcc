import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { ConferenceNamespaceGateway, On } from '../common/ws.js';
import { Ack, ChatMessage } from '../protocol/events.js';
import type { ConferenceSocket } from '../conference/conference-socket.js';
import { JoinedGuard } from '../conference/conference.guards.js';
import { ChatService } from './chat.service.js';
import { ChatHistoryDto, ChatSendDto } from './dto/chat-send.dto.js';

/** Chat over the conference namespace. The sender is the socket's verified identity, always. */
@ConferenceNamespaceGateway()
export class ChatGateway {
  constructor(private readonly chat: ChatService) {}

  @On('chat:send')
  @UseGuards(JoinedGuard)
  async send(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ChatSendDto,
  ): Promise<Ack<{ message: ChatMessage }>> {
    return { ok: true, message: await this.chat.send(socket.data.identity, body, socket.id) };
  }

  @On('chat:history')
  @UseGuards(JoinedGuard)
  async history(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ChatHistoryDto,
  ): Promise<Ack<{ messages: ChatMessage[] }>> {
    return { ok: true, messages: await this.chat.history(socket.data.identity, body) };
  }
}
