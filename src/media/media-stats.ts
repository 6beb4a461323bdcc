import type { types } from 'mediasoup';
import type {
  ConsumerStats,
  ParticipantMediaStats,
  PipeStats,
  RoomMediaStats,
  StreamStats,
} from '../protocol/events.js';
import { type ParticipantMedia, sourceOfProducer } from './participant-media.js';
import type { RoomRouter } from './room-routers.js';

type RtpStatsEntry = { type: string; bitrate?: number; packetCount?: number; byteCount?: number };

/** Sums the RTP stream entries of one direction (a simulcast producer has one per layer). */
function sumStats(entries: RtpStatsEntry[], type: 'inbound-rtp' | 'outbound-rtp') {
  return entries
    .filter((e) => e.type === type)
    .reduce(
      (acc, e) => ({
        bitrate: acc.bitrate + (e.bitrate ?? 0),
        packetCount: acc.packetCount + (e.packetCount ?? 0),
        byteCount: acc.byteCount + (e.byteCount ?? 0),
      }),
      { bitrate: 0, packetCount: 0, byteCount: 0 },
    );
}

/** A consumer's layers, only for the types that have some (null: mediasoup reports none). */
function layersOf(
  consumer: types.Consumer,
): Pick<ConsumerStats, 'preferredLayers' | 'currentLayers'> {
  if (consumer.type !== 'simulcast' && consumer.type !== 'svc') return {};
  const copy = (l: types.ConsumerLayers | undefined) =>
    l ? { spatialLayer: l.spatialLayer, temporalLayer: l.temporalLayer } : null;
  return {
    preferredLayers: copy(consumer.preferredLayers),
    currentLayers: copy(consumer.currentLayers),
  };
}

async function streamStats(
  stream: types.Producer | types.Consumer,
  type: 'inbound-rtp' | 'outbound-rtp',
): Promise<StreamStats> {
  const entries = (await stream.getStats().catch(() => [])) as RtpStatsEntry[];
  return { id: stream.id, kind: stream.kind, paused: stream.paused, ...sumStats(entries, type) };
}

/** Producers, consumers and their current bitrates per participant, as mediasoup measures them. */
export async function roomMediaStats(
  roomId: string,
  node: { nodeId: string; pipes: PipeStats[] },
  router: RoomRouter | undefined,
  media: Iterable<ParticipantMedia>,
): Promise<RoomMediaStats> {
  const { nodeId } = node;
  const participants = await Promise.all([...media].map((p) => participantStats(p, nodeId)));
  return {
    roomId,
    router: router
      ? { workerPid: router.worker.worker.pid, workerIndex: router.worker.index }
      : null,
    participants,
    totals: {
      transports: participants.reduce((n, p) => n + p.transports, 0),
      producers: participants.reduce((n, p) => n + p.producers.length, 0),
      consumers: participants.reduce((n, p) => n + p.consumers.length, 0),
    },
    nodes: [node],
  };
}

/** This node's stats with the other nodes' participants and totals added (the router stays this node's). */
export function mergeRoomStats(local: RoomMediaStats, others: RoomMediaStats[]): RoomMediaStats {
  const all = [local, ...others];
  return {
    ...local,
    participants: all.flatMap((s) => s.participants),
    nodes: all.flatMap((s) => s.nodes),
    totals: {
      transports: all.reduce((n, s) => n + s.totals.transports, 0),
      producers: all.reduce((n, s) => n + s.totals.producers, 0),
      consumers: all.reduce((n, s) => n + s.totals.consumers, 0),
    },
  };
}

async function participantStats(
  p: ParticipantMedia,
  nodeId: string,
): Promise<ParticipantMediaStats> {
  return {
    participantId: p.participantId,
    nodeId,
    transports: p.transportCount,
    producers: await Promise.all(
      p.allProducers().map(async (x) => ({
        ...(await streamStats(x, 'inbound-rtp')),
        source: sourceOfProducer(x),
      })),
    ),
    consumers: await Promise.all(
      p.allConsumers().map(async (x) => ({
        ...(await streamStats(x, 'outbound-rtp')),
        producerId: x.producerId,
        type: x.type,
        ...layersOf(x),
      })),
    ),
  };
}
