import type { ChatMessage } from '../protocol/events.js';
import type { ChatMessageEntity } from './audit/chat-message.entity.js';

export function toChatMessage(row: ChatMessageEntity): ChatMessage {
  return {
    id: row.id,
    roomId: row.roomId,
    seq: Number(row.seq),
    kind: row.kind,
    from: { participantId: row.senderId, displayName: row.senderName },
    to: row.recipientId,
    text: row.text,
    sentAt: row.createdAt.toISOString(),
  };
}
