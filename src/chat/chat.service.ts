import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { Metrics } from '../metrics/metrics.service.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ChatMessage } from '../protocol/events.js';
import type { SocketIdentity } from '../protocol/socket-data.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { AuditLog, auditUnavailable } from './audit/audit-log.js';
import { toChatMessage } from './audit/audit-record.mapper.js';
import { AuditStore } from './audit/audit.store.js';
import { ChatDelivery } from './chat-delivery.js';
import { ChatRateLimiter } from './chat-rate-limiter.js';
import type { ChatHistoryDto, ChatSendDto } from './dto/chat-send.dto.js';

/**
 * The chat rules (joined, recipient present and not yourself, rate limit). The shape of a
 * message is ChatSendDto's; nothing here trusts the client beyond it.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly membership: RoomMembership,
    private readonly audit: AuditLog,
    private readonly delivery: ChatDelivery,
    private readonly limiter: ChatRateLimiter,
    private readonly metrics: Metrics,
    private readonly store: AuditStore,
  ) {}

  /**
   * Checks the rules, persists the audit row, then delivers; never delivers without a committed
   * row. A retry with the same clientMessageId returns the stored message and delivers nothing.
   */
  async send(
    sender: SocketIdentity,
    dto: ChatSendDto,
    originSocketId?: string,
  ): Promise<ChatMessage> {
    try {
      const message = await this.sendChecked(sender, dto, originSocketId);
      this.metrics.chatMessages.inc({ kind: message.kind });
      return message;
    } catch (error) {
      this.metrics.chatRejected.inc({
        code: error instanceof DomainError ? error.code : ErrorCode.INTERNAL,
      });
      throw error;
    }
  }

  private async sendChecked(
    sender: SocketIdentity,
    dto: ChatSendDto,
    originSocketId?: string,
  ): Promise<ChatMessage> {
    const self = await this.membership.current(sender.roomId, sender.participantId);
    if (!self) throw new DomainError(ErrorCode.NOT_JOINED, 'Join the room before sending messages');
    try {
      return await this.sendAsMember(sender, self, dto, originSocketId);
    } catch (error) {
      // A retry of a message that was stored (its ack lost) must get that ack, even if it would
      // be refused now (the recipient left, the rate limit is reached). Looked up only on
      // refusal: on the normal path the group commit finds retries under the room's lock.
      if (
        !(error instanceof DomainError) ||
        (error.code !== ErrorCode.RECIPIENT_NOT_IN_ROOM && error.code !== ErrorCode.RATE_LIMITED)
      )
        throw error;
      const stored = await this.storedRetry(sender, dto.clientMessageId);
      if (stored) return stored;
      throw error;
    }
  }

  /** The message this sender already stored under clientMessageId, if any (not re-delivered). */
  private async storedRetry(
    sender: SocketIdentity,
    clientMessageId: string,
  ): Promise<ChatMessage | undefined> {
    let stored;
    try {
      stored = await this.store.findRetry(sender.participantId, clientMessageId);
    } catch {
      // Unknown whether it was stored: the sender should try again, not be told it was refused.
      throw auditUnavailable();
    }
    return stored?.roomId === sender.roomId ? toChatMessage(stored) : undefined;
  }

  private async sendAsMember(
    sender: SocketIdentity,
    self: SocketIdentity,
    dto: ChatSendDto,
    originSocketId?: string,
  ): Promise<ChatMessage> {
    if (!(await this.limiter.tryAcquire(sender.participantId))) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        'You are sending messages too fast; wait a few seconds',
      );
    }

    // The DTO has checked the shape (a private message has `to`, a UUID; a public one has none);
    // who `to` names is the rule here. A private message goes only to the recipient found.
    const recipient = dto.kind === 'private' ? await this.recipientOf(sender, dto.to) : undefined;

    const { record, duplicate } = await this.audit.append({
      roomId: sender.roomId,
      kind: dto.kind,
      senderId: sender.participantId,
      senderName: self.displayName,
      recipientId: recipient?.participantId ?? null,
      recipientName: recipient?.displayName ?? null,
      text: dto.text,
      clientMessageId: dto.clientMessageId,
    });
    const message = toChatMessage(record);
    if (!duplicate) this.delivery.deliver(message, originSocketId);
    return message;
  }

  /**
   * The participant a private message is for: present in the sender's room, not the sender.
   * No such participant, no message (never a broadcast instead).
   */
  private async recipientOf(
    sender: SocketIdentity,
    to: string | undefined,
  ): Promise<SocketIdentity> {
    if (to === sender.participantId) {
      throw new DomainError(
        ErrorCode.RECIPIENT_NOT_IN_ROOM,
        'You cannot send a private message to yourself',
      );
    }
    const recipient = to ? await this.membership.current(sender.roomId, to) : undefined;
    if (!recipient)
      throw new DomainError(ErrorCode.RECIPIENT_NOT_IN_ROOM, 'The recipient is not in this room');
    return recipient;
  }

  /** The room's public messages plus the private ones this participant sent or received. */
  async history(viewer: SocketIdentity, query: ChatHistoryDto): Promise<ChatMessage[]> {
    try {
      const records = await this.store.history(
        viewer.roomId,
        viewer.participantId,
        query.before,
        query.limit ?? 50,
      );
      return records.map(toChatMessage);
    } catch {
      throw new DomainError(ErrorCode.AUDIT_UNAVAILABLE, 'Chat history is unavailable right now');
    }
  }
}
