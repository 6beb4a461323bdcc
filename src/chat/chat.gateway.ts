import { UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import { ConnectedSocket, MessageBody, WebSocketGateway } from '@nestjs/websockets';
import { DomainError } from '../common/domain-error.js';
import { validationOptions } from '../common/validation.js';
import { On, WsExceptionFilter } from '../common/ws.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Ack, CONFERENCE_NAMESPACE, ChatMessage } from '../protocol/events.js';
import type { ConferenceSocket } from '../rooms/conference.gateway.js';
import { ChatService } from './chat.service.js';
import { ChatHistoryDto, ChatSendDto } from './dto/chat-send.dto.js';

function requireJoined(socket: ConferenceSocket): void {
  if (!socket.data.joined) throw new DomainError(ErrorCode.NOT_JOINED, 'Join the room first');
}

/** Chat over the conference namespace. The sender is the socket's verified identity, always. */
@WebSocketGateway({ namespace: CONFERENCE_NAMESPACE })
@UseFilters(WsExceptionFilter)
@UsePipes(new ValidationPipe(validationOptions))
export class ChatGateway {
  constructor(private readonly chat: ChatService) {}

  @On('chat:send')
  async send(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ChatSendDto,
  ): Promise<Ack<{ message: ChatMessage }>> {
    requireJoined(socket);
    return { ok: true, message: await this.chat.send(socket.data.identity, body, socket.id) };
  }

  @On('chat:history')
  async history(
    @ConnectedSocket() socket: ConferenceSocket,
    @MessageBody() body: ChatHistoryDto,
  ): Promise<Ack<{ messages: ChatMessage[] }>> {
    requireJoined(socket);
    return { ok: true, messages: await this.chat.history(socket.data.identity, body) };
  }
}
