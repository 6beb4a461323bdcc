/**
 * The WebSocket protocol of convene (Socket.IO namespace `/conference`): every event, its
 * payload and its ack. Server, web client and tests import these types; event names appear
 * nowhere else as free strings. What only the server knows about a connection is in
 * socket-data.ts, which the client does not import.
 */
import type { ErrorBody } from './error-codes.js';

export const CONFERENCE_NAMESPACE = '/conference';

// Each list of the protocol is declared once, here; its type, the DTOs' `@IsIn` checks, the
// entities' CHECK constraints and the client derive from it. The CHECKs written by the applied
// migrations (AuthAndRooms: participants.role; ChatAudit: chat_messages.kind) spell these lists
// out because migrations are history: changing a list here needs a new migration for them.

export const ROLES = ['host', 'participant', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export const CHAT_KINDS = ['public', 'private'] as const;
export type ChatKind = (typeof CHAT_KINDS)[number];

export const MEDIA_KINDS = ['audio', 'video'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/**
 * What a producer carries: a camera or microphone, or a shared screen (`screen`, video) and the
 * sound of what is shared (`screen-audio`, audio). A produce without a source is the camera or
 * microphone by its kind (clients from before sources existed).
 */
export const MEDIA_SOURCES = ['camera', 'microphone', 'screen', 'screen-audio'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

/** A room's rule for who may share their screen (the deployment may refuse guests regardless). */
export const SCREEN_SHARE_POLICIES = ['everyone', 'hosts'] as const;
export type ScreenSharePolicy = (typeof SCREEN_SHARE_POLICIES)[number];

export const TRANSPORT_DIRECTIONS = ['send', 'recv'] as const;
export type TransportDirection = (typeof TRANSPORT_DIRECTIONS)[number];

/** How mediasoup forwards a consumer's stream (its `ConsumerType`). */
export const CONSUMER_TYPES = ['simple', 'simulcast', 'svc', 'pipe'] as const;
export type ConsumerType = (typeof CONSUMER_TYPES)[number];

/** Acks: `{ ok: true, ...data }` or `{ ok: false, error }`. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T extends object = object> = (response: Ack<T>) => void;

export interface ParticipantView {
  participantId: string;
  displayName: string;
  role: Role;
  joinedAt: string;
  /** When they raised their hand (hands are listed oldest first), or null. */
  handRaisedAt: string | null;
  /** What a host muted hard: they cannot turn these on until a host allows it (`media:allowUnmute`). */
  mutedByHost: MediaKind[];
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

/** A room's settings that its participants see (`room:updated` when an admin changes them). */
export interface RoomSettings {
  /** Who may share their screen. */
  screenShare: ScreenSharePolicy;
}

export interface JoinedResult {
  status: 'joined';
  room: { id: string; name: string } & RoomSettings;
  /** Whether this deployment lets guests share their screen (CONVENE_GUESTS_MAY_SHARE). */
  guestsMayShare: boolean;
  self: ParticipantView;
  participants: ParticipantView[];
}
export interface WaitingResult {
  status: 'waiting';
}

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

/** The participant a host acts on: `room:kick`, `lobby:admit`, `lobby:reject`. */
export interface ParticipantRefPayload {
  participantId: string;
}

export interface LobbyEntry {
  participantId: string;
  displayName: string;
  waitingSince: string;
}

// ---- media ----
export interface CreateTransportPayload {
  direction: TransportDirection;
}

export interface ConnectTransportPayload {
  transportId: string;
  dtlsParameters: unknown;
}

export interface ProducePayload {
  transportId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  /** Default: `camera` for video, `microphone` for audio. Must match `kind`. */
  source?: MediaSource;
  appData?: Record<string, unknown>;
}

export interface ConsumePayload {
  transportId: string;
  producerId: string;
  rtpCapabilities: unknown;
}

export interface ConsumerRefPayload {
  consumerId: string;
}

export interface ProducerRefPayload {
  producerId: string;
}

export interface PreferredLayersPayload {
  consumerId: string;
  spatialLayer: number;
  temporalLayer?: number;
}

export interface MuteParticipantPayload {
  participantId: string;
  kind: MediaKind;
  /**
   * Hard mute: the participant cannot resume (or produce anew) this kind until a host allows it.
   * Without it, they may unmute themselves at once.
   */
  hard?: boolean;
}

/** A host's action on one kind of a participant's media: `media:allowUnmute`, `media:askToUnmute`. */
export interface ParticipantKindPayload {
  participantId: string;
  kind: MediaKind;
}

/** `media:muteAll`: every participant who is not a host, microphone only. */
export interface MuteAllPayload {
  /** Hard: nobody muted may unmute until a host allows it (one by one). Default: soft. */
  hard?: boolean;
}

/** The participant's answer to a host's `media:askToUnmute`. */
export interface AnswerUnmutePayload {
  kind: MediaKind;
  accept: boolean;
}

export interface TransportOptions {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
  sctpParameters?: unknown;
}

/**
 * An ICE server for the browser's transports (RTCIceServer's shape). TURN servers configured
 * with CONVENE_TURN_SECRET come with credentials issued to this participant that expire: the
 * username is `<expiry unix time>:<participantId>` (coturn's `use-auth-secret`).
 */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  participantId: string;
  /** The producer's source (a screen share is its own tile, not the sender's camera). */
  source: MediaSource;
  paused: boolean;
  producerPaused: boolean;
}

export interface ProducerInfo {
  producerId: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

/** A host's `media:stopShare` of someone else: whose share. */
export interface StopShareOfPayload {
  participantId: string;
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

/** One producer: a stream with its source. */
export interface ProducerStats extends StreamStats {
  source: MediaSource;
}

export interface MediaLayers {
  spatialLayer: number;
  temporalLayer?: number;
}

export interface ConsumerStats extends StreamStats {
  producerId: string;
  type: ConsumerType;
  /** Simulcast/SVC only: the layers the receiver asked for (the highest until it asks). */
  preferredLayers?: MediaLayers | null;
  /** Simulcast/SVC only: the layers being forwarded now; null while none is. */
  currentLayers?: MediaLayers | null;
}

export interface ParticipantMediaStats {
  participantId: string;
  /** The node holding this part of the participant's media (one entry per node they use). */
  nodeId: string;
  transports: number;
  producers: ProducerStats[];
  consumers: ConsumerStats[];
}

export interface RouterPlacement {
  workerPid: number;
  workerIndex: number;
}

export interface MediaTotals {
  transports: number;
  producers: number;
  consumers: number;
}

/** One pipe of a room between this node and another: producers coming in from it, or going out to it. */
export interface PipeStats {
  direction: 'in' | 'out';
  /** The other node. */
  peer: string;
  producers: number;
}

/** A room's media right now (the admin API's `GET /rooms/:id/media`, a host's `media:roomStats`). */
export interface RoomMediaStats {
  roomId: string;
  router: RouterPlacement | null;
  participants: ParticipantMediaStats[];
  totals: MediaTotals;
  /** Per node, the pipes that bring producers of other nodes to it, and take its own to others. */
  nodes: { nodeId: string; pipes: PipeStats[] }[];
}

/** The `server:draining` notice. */
export interface ServerDraining {
  /** A suggested delay before connecting again (spread a little, so that clients do not all come at once). */
  reconnectInMs: number;
  /** When the server will close this connection if it is still open. */
  closesInMs: number;
}

export interface ClientToServerEvents {
  'room:join': (payload: Record<string, never>, ack: AckFn<JoinedResult | WaitingResult>) => void;
  'room:leave': (payload: Record<string, never>, ack: AckFn) => void;
  'room:kick': (payload: ParticipantRefPayload, ack: AckFn) => void;
  'lobby:list': (payload: Record<string, never>, ack: AckFn<{ waiting: LobbyEntry[] }>) => void;
  'lobby:admit': (payload: ParticipantRefPayload, ack: AckFn) => void;
  'lobby:reject': (payload: ParticipantRefPayload, ack: AckFn) => void;
  'chat:send': (payload: ChatSendPayload, ack: AckFn<{ message: ChatMessage }>) => void;
  'chat:history': (payload: ChatHistoryPayload, ack: AckFn<{ messages: ChatMessage[] }>) => void;
  'media:getRouterRtpCapabilities': (
    payload: Record<string, never>,
    ack: AckFn<{ rtpCapabilities: unknown }>,
  ) => void;
  'media:createTransport': (
    payload: CreateTransportPayload,
    ack: AckFn<{ transport: TransportOptions; iceServers: IceServer[] }>,
  ) => void;
  'media:connectTransport': (payload: ConnectTransportPayload, ack: AckFn) => void;
  'media:produce': (payload: ProducePayload, ack: AckFn<{ producerId: string }>) => void;
  'media:consume': (payload: ConsumePayload, ack: AckFn<{ consumer: ConsumerOptions }>) => void;
  /** Stops forwarding one of your consumers (a tile not on screen); `media:resumeConsumer` starts it again. */
  'media:pauseConsumer': (payload: ConsumerRefPayload, ack: AckFn) => void;
  'media:resumeConsumer': (payload: ConsumerRefPayload, ack: AckFn) => void;
  'media:pauseProducer': (payload: ProducerRefPayload, ack: AckFn) => void;
  'media:resumeProducer': (payload: ProducerRefPayload, ack: AckFn) => void;
  'media:closeProducer': (payload: ProducerRefPayload, ack: AckFn) => void;
  /** Stops your own screen share (its `screen` and `screen-audio` producers); answers which closed. */
  'media:stopShare': (
    payload: Record<string, never>,
    ack: AckFn<{ producerIds: string[] }>,
  ) => void;
  /**
   * Hosts only: stops someone's screen share, on whichever node (SHARE_NOT_FOUND if they share
   * nothing); they get `media:shareStopped`, the room `media:producerClosed`.
   */
  'media:stopParticipantShare': (
    payload: StopShareOfPayload,
    ack: AckFn<{ producerIds: string[] }>,
  ) => void;
  'media:setPreferredLayers': (payload: PreferredLayersPayload, ack: AckFn) => void;
  'media:listProducers': (
    payload: Record<string, never>,
    ack: AckFn<{ producers: ProducerInfo[] }>,
  ) => void;
  'media:muteParticipant': (payload: MuteParticipantPayload, ack: AckFn) => void;
  /** Hosts only: lifts a hard mute of `kind` (the participant may unmute themselves again). */
  'media:allowUnmute': (
    payload: ParticipantKindPayload,
    ack: AckFn<{ mutedByHost: MediaKind[] }>,
  ) => void;
  /** Hosts only: mutes the microphone of everyone who is not a host; answers whom. */
  'media:muteAll': (payload: MuteAllPayload, ack: AckFn<{ participantIds: string[] }>) => void;
  /** Hosts only: asks a participant to unmute (`media:unmuteRequested` reaches them). */
  'media:askToUnmute': (payload: ParticipantKindPayload, ack: AckFn) => void;
  /**
   * The answer to a host's ask (UNMUTE_NOT_REQUESTED without one). Accepting lifts a hard mute of
   * that kind and resumes this participant's paused producers of it; hosts hear the answer.
   */
  'media:answerUnmute': (payload: AnswerUnmutePayload, ack: AckFn) => void;
  /** Raises your own hand (again: no change, the first time stays); answers when it was raised. */
  'hand:raise': (payload: Record<string, never>, ack: AckFn<{ raisedAt: string }>) => void;
  /** Lowers your own hand (if raised). */
  'hand:lower': (payload: Record<string, never>, ack: AckFn) => void;
  /** Hosts only: lowers someone's hand. */
  'hand:lowerParticipant': (payload: ParticipantRefPayload, ack: AckFn) => void;
  /** Hosts only: what everyone in the room sends and receives, with bitrates. */
  'media:roomStats': (
    payload: Record<string, never>,
    ack: AckFn<{ media: RoomMediaStats }>,
  ) => void;
}

/** The payload a client sends with event `E`. */
export type PayloadOf<E extends keyof ClientToServerEvents> = Parameters<
  ClientToServerEvents[E]
>[0];
/** The ack the server answers event `E` with. */
export type AckOf<E extends keyof ClientToServerEvents> = Parameters<
  Parameters<ClientToServerEvents[E]>[1]
>[0];

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
  'media:pauseConsumer': true,
  'media:resumeConsumer': true,
  'media:pauseProducer': true,
  'media:resumeProducer': true,
  'media:closeProducer': true,
  'media:stopShare': true,
  'media:stopParticipantShare': true,
  'media:setPreferredLayers': true,
  'media:listProducers': true,
  'media:muteParticipant': true,
  'media:allowUnmute': true,
  'media:muteAll': true,
  'media:askToUnmute': true,
  'media:answerUnmute': true,
  'hand:raise': true,
  'hand:lower': true,
  'hand:lowerParticipant': true,
  'media:roomStats': true,
};
export const CLIENT_TO_SERVER_EVENTS = Object.keys(
  CLIENT_EVENT_SET,
) as readonly (keyof ClientToServerEvents)[];

/** One join or leave in a `participants:changed` batch. */
export type PresenceChange =
  | { type: 'joined'; participant: ParticipantView }
  | { type: 'left'; participantId: string; reason: LeaveReason };

export interface ServerToClientEvents {
  'participant:joined': (participant: ParticipantView) => void;
  'participant:left': (event: { participantId: string; reason: LeaveReason }) => void;
  /**
   * In a large room (more than CONVENE_PRESENCE_BATCH_ABOVE participants) joins and leaves come
   * together every CONVENE_PRESENCE_BATCH_MS instead of one `participant:joined`/`left` each:
   * apply `changes` in order. A batch may name you, or someone your `room:join` ack listed.
   */
  'participants:changed': (event: { changes: PresenceChange[] }) => void;
  /** A joined participant's role or name changed (their identity provider said so at sign-in). */
  'participant:updated': (participant: ParticipantView) => void;
  /** This connection is being closed by the server; `reason` says why. */
  'session:ended': (event: { reason: LeaveReason; code?: string; message: string }) => void;
  /**
   * This node is shutting down: connect again (to the same address; the load balancer picks a
   * live node) after about `reconnectInMs`, and join again. The server closes this connection
   * itself within `closesInMs`.
   */
  'server:draining': (event: ServerDraining) => void;
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
  /** To the room: what a host muted hard for this participant changed (hard mute, allow, accept). */
  'media:hostMuteChanged': (event: { participantId: string; mutedByHost: MediaKind[] }) => void;
  /** To the participant a host asked: unmute `kind`? Answer with `media:answerUnmute`. */
  'media:unmuteRequested': (event: { kind: MediaKind }) => void;
  /** To hosts: how a participant answered `media:askToUnmute`. */
  'media:unmuteAnswered': (event: {
    participantId: string;
    kind: MediaKind;
    accepted: boolean;
  }) => void;
  /** To the room: someone raised their hand (hands are shown oldest `raisedAt` first). */
  'hand:raised': (event: { participantId: string; raisedAt: string }) => void;
  /** To the room: a hand went down, lowered by its owner or (`byHost`) by a host. */
  'hand:lowered': (event: { participantId: string; byHost: boolean }) => void;
  'media:restart': (event: { reason: string }) => void;
  /** To the sharer: a host (or the admin API) stopped their screen share; these producers closed. */
  'media:shareStopped': (event: { producerIds: string[]; byHost: boolean }) => void;
  /** To the room: an admin changed the room's settings (`PATCH /api/v1/rooms/:id`). */
  'room:updated': (event: RoomSettings) => void;
}

/** What the server sends with event `E`. */
export type ServerEventOf<E extends keyof ServerToClientEvents> = Parameters<
  ServerToClientEvents[E]
>[0];
