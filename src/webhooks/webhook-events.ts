import type { ChatKind, LeaveReason } from '../protocol/events.js';

/** Every event convene POSTs to CONVENE_WEBHOOK_URLS (the CHECK of migration WebhookDeliveries spells it out). */
export const WEBHOOK_EVENTS = [
  'room.created',
  'room.closed',
  'participant.joined',
  'participant.left',
  'chat.message_audited',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** What each event carries in `data`: ids and metadata, never a message's text. */
export interface WebhookEventData {
  'room.created': {
    roomId: string;
    name: string;
    lobby: boolean;
    maxParticipants: number | null;
  };
  'room.closed': { roomId: string };
  'participant.joined': { roomId: string; participantId: string };
  'participant.left': { roomId: string; participantId: string; reason: LeaveReason };
  'chat.message_audited': {
    roomId: string;
    messageId: string;
    kind: ChatKind;
    seq: number;
    hash: string;
    senderId: string;
    /** null for public messages. */
    recipientId: string | null;
    /** When it was recorded (UTC, microseconds), as in the audit trail. */
    sentAt: string;
  };
}

/** One event to enqueue: its type and data; the id and time are given at enqueue. */
export type WebhookEvent = {
  [T in WebhookEventType]: { type: T; data: WebhookEventData[T] };
}[WebhookEventType];

/** The JSON body of every POST (`id` is also the Convene-Webhook-Id header). */
export interface WebhookEnvelope {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: WebhookEventData[WebhookEventType];
}
