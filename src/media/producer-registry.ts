import type { MediaSource, ProducerInfo } from '../protocol/events.js';
import { RedisConnection } from '../redis/redis-connection.js';

/** A producer somewhere in the cluster, and the node whose worker holds it. */
export interface ProducerEntry extends Omit<ProducerInfo, 'source'> {
  /** Absent in entries written by a node from before sources (a rolling update): camera or microphone. */
  source?: MediaSource;
  nodeId: string;
}

/** A producer that left the registry with its node (room and entry, to announce its close). */
export interface RemovedProducer {
  roomId: string;
  entry: ProducerEntry;
}

/**
 * Every producer of every room, on whichever node it lives: what `media:listProducers` answers
 * and where `consume` finds a producer of another node. Each owner writes only its own entries.
 */
export abstract class ProducerStore {
  abstract add(roomId: string, entry: ProducerEntry): Promise<void>;
  abstract setPaused(roomId: string, producerId: string, paused: boolean): Promise<void>;
  /** Whether the entry was there (so that exactly one caller announces the close). */
  abstract remove(roomId: string, producerId: string, nodeId: string): Promise<boolean>;
  abstract list(roomId: string): Promise<ProducerEntry[]>;
  abstract find(roomId: string, producerId: string): Promise<ProducerEntry | undefined>;
  /** Removes every entry of a node atomically; each entry is returned to one caller only. */
  abstract removeNode(nodeId: string): Promise<RemovedProducer[]>;
}

/** One node: the registry is this process's memory. */
export class LocalProducerStore extends ProducerStore {
  private readonly rooms = new Map<string, Map<string, ProducerEntry>>();

  add(roomId: string, entry: ProducerEntry): Promise<void> {
    const room = this.rooms.get(roomId) ?? new Map<string, ProducerEntry>();
    this.rooms.set(roomId, room);
    room.set(entry.producerId, entry);
    return Promise.resolve();
  }

  setPaused(roomId: string, producerId: string, paused: boolean): Promise<void> {
    const entry = this.rooms.get(roomId)?.get(producerId);
    if (entry) entry.paused = paused;
    return Promise.resolve();
  }

  remove(roomId: string, producerId: string): Promise<boolean> {
    const room = this.rooms.get(roomId);
    const removed = room?.delete(producerId) ?? false;
    if (room?.size === 0) this.rooms.delete(roomId);
    return Promise.resolve(removed);
  }

  list(roomId: string): Promise<ProducerEntry[]> {
    return Promise.resolve([...(this.rooms.get(roomId)?.values() ?? [])].map((e) => ({ ...e })));
  }

  find(roomId: string, producerId: string): Promise<ProducerEntry | undefined> {
    const entry = this.rooms.get(roomId)?.get(producerId);
    return Promise.resolve(entry && { ...entry });
  }

  removeNode(): Promise<RemovedProducer[]> {
    return Promise.resolve([]); // only this node exists
  }
}

// KEYS[1]: the room's hash, KEYS[2]: the node's set. ARGV: producerId, paused ('1'/'0').
const SET_PAUSED = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local e = cjson.decode(v)
e.paused = ARGV[2] == '1'
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return 1`;

// KEYS[1]: the node's set; ARGV[1]: the room hash key prefix. Returns room, entry, room, entry...
const REMOVE_NODE = `
local out = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, ' ', 1, true)
  local room = string.sub(member, 1, sep - 1)
  local producer = string.sub(member, sep + 1)
  local key = ARGV[1] .. room
  local v = redis.call('HGET', key, producer)
  if v then
    redis.call('HDEL', key, producer)
    table.insert(out, room)
    table.insert(out, v)
  end
end
redis.call('DEL', KEYS[1])
return out`;

/**
 * Several nodes: one hash per room (producer id -> entry) and one set per node (what it owns, so
 * that a dead node's entries can be removed in one atomic step by whichever node sees it first).
 */
export class RedisProducerStore extends ProducerStore {
  constructor(private readonly redis: RedisConnection) {
    super();
  }

  async add(roomId: string, entry: ProducerEntry): Promise<void> {
    await this.client
      .multi()
      .hset(this.roomKey(roomId), entry.producerId, JSON.stringify(entry))
      .sadd(this.nodeKey(entry.nodeId), `${roomId} ${entry.producerId}`)
      .exec();
  }

  async setPaused(roomId: string, producerId: string, paused: boolean): Promise<void> {
    await this.client.eval(SET_PAUSED, 1, this.roomKey(roomId), producerId, paused ? '1' : '0');
  }

  async remove(roomId: string, producerId: string, nodeId: string): Promise<boolean> {
    const results = await this.client
      .multi()
      .hdel(this.roomKey(roomId), producerId)
      .srem(this.nodeKey(nodeId), `${roomId} ${producerId}`)
      .exec();
    return results?.[0]?.[1] === 1;
  }

  async list(roomId: string): Promise<ProducerEntry[]> {
    const values = await this.client.hvals(this.roomKey(roomId));
    return values.map((v) => JSON.parse(v) as ProducerEntry);
  }

  async find(roomId: string, producerId: string): Promise<ProducerEntry | undefined> {
    const value = await this.client.hget(this.roomKey(roomId), producerId);
    return value ? (JSON.parse(value) as ProducerEntry) : undefined;
  }

  async removeNode(nodeId: string): Promise<RemovedProducer[]> {
    const flat = (await this.client.eval(
      REMOVE_NODE,
      1,
      this.nodeKey(nodeId),
      this.roomKey(''),
    )) as string[];
    const removed: RemovedProducer[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      removed.push({ roomId: flat[i], entry: JSON.parse(flat[i + 1]) as ProducerEntry });
    return removed;
  }

  private get client() {
    const client = this.redis.client;
    if (!client) throw new Error('REDIS_URL is not set');
    return client;
  }

  private roomKey(roomId: string): string {
    return `${this.redis.keyPrefix}media:producers:${roomId}`;
  }

  private nodeKey(nodeId: string): string {
    return `${this.redis.keyPrefix}media:node-producers:${nodeId}`;
  }
}

/** The store for this deployment: Redis when REDIS_URL is set, else memory. */
export const producerStoreProvider = {
  provide: ProducerStore,
  inject: [RedisConnection],
  useFactory: (redis: RedisConnection): ProducerStore =>
    redis.enabled ? new RedisProducerStore(redis) : new LocalProducerStore(),
};
