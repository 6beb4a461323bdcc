/**
 * The WebSocket protocol of convene (Socket.IO namespace `/conference`): every event, its
 * payload and its ack. Server, web client and tests import these types; event names appear
 * nowhere else as free strings.
 */
import type { ErrorBody } from './error-codes.js';

export const CONFERENCE_NAMESPACE = '/conference';

export type Role = 'host' | 'participant' | 'guest';

/** Acks: `{ ok: true, ...data }` or `{ ok: false, error }`. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T extends object = object> = (response: Ack<T>) => void;

export interface ParticipantView {
  participantId: string;
  displayName: string;
  role: Role;
  joinedAt: string;
}

export type LeaveReason =
  | 'left'
  | 'disconnected'
  | 'kicked'
  | 'room-closed'
  | 'replaced'
  | 'server-shutdown'
  /** The connection's join token reached its `exp`. */
  | 'expired';

export interface JoinedResult {
  status: 'joined';
  room: { id: string; name: string };
  self: ParticipantView;
  participants: ParticipantView[];
}
export interface WaitingResult {
  status: 'waiting';
}

export type ChatKind = 'public' | 'private';

export interface ChatSendPayload {
  kind: ChatKind;
  to?: string;
  text: string;
  clientMessageId: string;
}

export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  kind: ChatKind;
  from: { participantId: string; displayName: string };
  to: string | null;
  text: string;
  sentAt: string;
}

export interface ChatHistoryPayload {
  limit?: number;
  /** Return messages with a seq lower than this one (paging backwards). */
  before?: number;
}

export interface LobbyDecisionPayload {
  participantId: string;
}

export interface LobbyEntry {
  participantId: string;
  displayName: string;
  waitingSince: string;
}

export interface KickPayload {
  participantId: string;
}

// ---- media ----
export type MediaKind = 'audio' | 'video';
export type TransportDirection = 'send' | 'recv';

export interface TransportOptions {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
  sctpParameters?: unknown;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  participantId: string;
  paused: boolean;
  producerPaused: boolean;
}

export interface ProducerInfo {
  producerId: string;
  participantId: string;
  kind: MediaKind;
  paused: boolean;
}

/** One producer or consumer as the SFU sees it. */
export interface StreamStats {
  id: string;
  kind: MediaKind;
  paused: boolean;
  /** Bits per second over mediasoup's last measurement window. */
  bitrate: number;
  packetCount: number;
  byteCount: number;
}

export interface MediaLayers {
  spatialLayer: number;
  temporalLayer?: number;
}

export interface ConsumerStats extends StreamStats {
  producerId: string;
  type: 'simple' | 'simulcast' | 'svc' | 'pipe';
  /** Simulcast/SVC only: the layers the receiver asked for (the highest until it asks). */
  preferredLayers?: MediaLayers | null;
  /** Simulcast/SVC only: the layers being forwarded now; null while none is. */
  currentLayers?: MediaLayers | null;
}

export interface ParticipantMediaStats {
  participantId: string;
  transports: number;
  producers: StreamStats[];
  consumers: ConsumerStats[];
}

/** A room's media right now (the admin API's `GET /rooms/:id/media`, a host's `media:roomStats`). */
export interface RoomMediaStats {
  roomId: string;
  router: { workerPid: number; workerIndex: number } | null;
  participants: ParticipantMediaStats[];
  totals: { transports: number; producers: number; consumers: number };
}

export interface ClientToServerEvents {
  'room:join': (payload: Record<string, never>, ack: AckFn<JoinedResult | WaitingResult>) => void;
  'room:leave': (payload: Record<string, never>, ack: AckFn) => void;
  'room:kick': (payload: KickPayload, ack: AckFn) => void;
  'lobby:list': (payload: Record<string, never>, ack: AckFn<{ waiting: LobbyEntry[] }>) => void;
  'lobby:admit': (payload: LobbyDecisionPayload, ack: AckFn) => void;
  'lobby:reject': (payload: LobbyDecisionPayload, ack: AckFn) => void;
  'chat:send': (payload: ChatSendPayload, ack: AckFn<{ message: ChatMessage }>) => void;
  'chat:history': (payload: ChatHistoryPayload, ack: AckFn<{ messages: ChatMessage[] }>) => void;
  'media:getRouterRtpCapabilities': (
    payload: Record<string, never>,
    ack: AckFn<{ rtpCapabilities: unknown }>,
  ) => void;
  'media:createTransport': (
    payload: { direction: TransportDirection },
    ack: AckFn<{ transport: TransportOptions }>,
  ) => void;
  'media:connectTransport': (
    payload: { transportId: string; dtlsParameters: unknown },
    ack: AckFn,
  ) => void;
  'media:produce': (
    payload: {
      transportId: string;
      kind: MediaKind;
      rtpParameters: unknown;
      appData?: Record<string, unknown>;
    },
    ack: AckFn<{ producerId: string }>,
  ) => void;
  'media:consume': (
    payload: { transportId: string; producerId: string; rtpCapabilities: unknown },
    ack: AckFn<{ consumer: ConsumerOptions }>,
  ) => void;
  'media:resumeConsumer': (payload: { consumerId: string }, ack: AckFn) => void;
  'media:pauseProducer': (payload: { producerId: string }, ack: AckFn) => void;
  'media:resumeProducer': (payload: { producerId: string }, ack: AckFn) => void;
  'media:closeProducer': (payload: { producerId: string }, ack: AckFn) => void;
  'media:setPreferredLayers': (
    payload: { consumerId: string; spatialLayer: number; temporalLayer?: number },
    ack: AckFn,
  ) => void;
  'media:listProducers': (
    payload: Record<string, never>,
    ack: AckFn<{ producers: ProducerInfo[] }>,
  ) => void;
  'media:muteParticipant': (
    payload: { participantId: string; kind: MediaKind },
    ack: AckFn,
  ) => void;
  /** Hosts only: what everyone in the room sends and receives, with bitrates. */
  'media:roomStats': (
    payload: Record<string, never>,
    ack: AckFn<{ media: RoomMediaStats }>,
  ) => void;
}

/** Every client-to-server event, at runtime; the Record type makes the compiler keep it complete. */
const CLIENT_EVENT_SET: Record<keyof ClientToServerEvents, true> = {
  'room:join': true,
  'room:leave': true,
  'room:kick': true,
  'lobby:list': true,
  'lobby:admit': true,
  'lobby:reject': true,
  'chat:send': true,
  'chat:history': true,
  'media:getRouterRtpCapabilities': true,
  'media:createTransport': true,
  'media:connectTransport': true,
  'media:produce': true,
  'media:consume': true,
  'media:resumeConsumer': true,
  'media:pauseProducer': true,
  'media:resumeProducer': true,
  'media:closeProducer': true,
  'media:setPreferredLayers': true,
  'media:listProducers': true,
  'media:muteParticipant': true,
  'media:roomStats': true,
};
export const CLIENT_TO_SERVER_EVENTS = Object.keys(
  CLIENT_EVENT_SET,
) as readonly (keyof ClientToServerEvents)[];

export interface ServerToClientEvents {
  'participant:joined': (participant: ParticipantView) => void;
  'participant:left': (event: { participantId: string; reason: LeaveReason }) => void;
  /** A joined participant's role or name changed (their identity provider said so at sign-in). */
  'participant:updated': (participant: ParticipantView) => void;
  /** This connection is being closed by the server; `reason` says why. */
  'session:ended': (event: { reason: LeaveReason; code?: string; message: string }) => void;
  'lobby:waiting': (entry: LobbyEntry) => void;
  'lobby:left': (event: { participantId: string }) => void;
  'lobby:admitted': (event: Record<string, never>) => void;
  'lobby:rejected': (event: Record<string, never>) => void;
  'chat:message': (message: ChatMessage) => void;
  'media:newProducer': (producer: ProducerInfo) => void;
  'media:producerClosed': (event: { producerId: string; participantId: string }) => void;
  'media:consumerClosed': (event: { consumerId: string; producerId: string }) => void;
  'media:producerPaused': (event: {
    producerId: string;
    participantId: string;
    byHost: boolean;
  }) => void;
  'media:producerResumed': (event: { producerId: string; participantId: string }) => void;
  'media:activeSpeaker': (event: { participantId: string | null }) => void;
  'media:restart': (event: { reason: string }) => void;
}

/**
 * What the server knows about a connection, from its verified join token; role and name follow
 * the stored participant (an IdP sign-in may change them while the connection is live).
 */
export interface SocketIdentity {
  participantId: string;
  roomId: string;
  displayName: string;
  role: Role;
}

export interface SocketData {
  identity: SocketIdentity;
  connectionId: string;
  joined: boolean;
  /** When the join token expires (ISO 8601); the server ends the connection then. */
  tokenExpiresAt: string;
}

/** Socket.IO room names; only the server puts sockets in rooms. */
export const socketRooms = {
  room: (roomId: string) => `room:${roomId}`,
  participant: (participantId: string) => `participant:${participantId}`,
  hosts: (roomId: string) => `hosts:${roomId}`,
  /** Every connection authenticated for the room, joined or waiting in the lobby. */
  connections: (roomId: string) => `connections:${roomId}`,
  /**
   * Every connection of one participant from its handshake on, joined or not: what a kick,
   * a lobby rejection or a replacement ends (`participant:<id>` holds only joined/waiting ones).
   */
  participantConnections: (participantId: string) => `connections:participant:${participantId}`,
};
