import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DomainError } from '../../common/domain-error.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  LobbyWaiter,
  NodePresence,
  PresenceEntry,
  PresenceJoinResult,
  PresenceStore,
} from './presence.store.js';

// Keys, under the deployment's prefix:
//   presence:room:<roomId>   hash participantId -> entry (JSON)
//   presence:lobby:<roomId>  hash participantId -> waiter (JSON)
//   presence:node:<nodeId>   set of "p|<roomId>|<participantId>" / "l|..." that node holds
// The node index may keep a member after its entry moved to another node; removing a node checks
// each entry's nodeId, so a stale member removes nothing.

// KEYS: room hash, node index, join counter. ARGV: participantId, entry JSON, capacity (-1: none),
// index member. Returns { 0 } when full, else { 1, previous socketId or '', this join's number }.
const JOIN = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
local entry = cjson.decode(ARGV[2])
local replaced = ''
if previous then
  local old = cjson.decode(previous)
  entry.joinedAt = old.joinedAt
  replaced = old.socketId
elseif tonumber(ARGV[3]) >= 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return { 0 }
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('SADD', KEYS[2], ARGV[4])
return { 1, replaced, redis.call('INCR', KEYS[3]) }`;

// KEYS: lobby hash, node index. ARGV: participantId, waiter JSON, index member.
const ENQUEUE = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
local waiter = cjson.decode(ARGV[2])
if previous then waiter.waitingSince = cjson.decode(previous).waitingSince end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(waiter))
redis.call('SADD', KEYS[2], ARGV[3])
return 1`;

// KEYS: room or lobby hash. ARGV: participantId, socketId ('' for any), node index prefix,
// index member. Removes the entry only while it is that connection's; returns it or false.
const REMOVE = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if not previous then return false end
local old = cjson.decode(previous)
if ARGV[2] ~= '' and old.socketId ~= ARGV[2] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', ARGV[3] .. old.nodeId, ARGV[4])
return previous`;

// KEYS: room hash. ARGV: participantId, displayName, role.
const UPDATE = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if not previous then return false end
local entry = cjson.decode(previous)
entry.displayName = ARGV[2]
entry.role = ARGV[3]
local updated = cjson.encode(entry)
redis.call('HSET', KEYS[1], ARGV[1], updated)
return updated`;

// KEYS: room hash, lobby hash. ARGV: node index prefix, roomId. Returns the room's entries.
const CLEAR = `
local entries = redis.call('HVALS', KEYS[1])
for i, key in ipairs(KEYS) do
  local kind = i == 1 and 'p|' or 'l|'
  for _, value in ipairs(redis.call('HVALS', key)) do
    local old = cjson.decode(value)
    redis.call('SREM', ARGV[1] .. old.nodeId, kind .. ARGV[2] .. '|' .. old.participantId)
  end
  redis.call('DEL', key)
end
return entries`;

// KEYS: node index. ARGV: nodeId, key prefix. Returns { kind, JSON, kind, JSON, ... }.
const REMOVE_NODE = `
local removed = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local kind, room, participant = string.match(member, '^(%a)|([^|]+)|(.+)$')
  if kind then
    local key = ARGV[2] .. (kind == 'p' and 'presence:room:' or 'presence:lobby:') .. room
    local value = redis.call('HGET', key, participant)
    if value and cjson.decode(value).nodeId == ARGV[1] then
      redis.call('HDEL', key, participant)
      table.insert(removed, kind)
      table.insert(removed, value)
    end
  end
end
redis.call('DEL', KEYS[1])
return removed`;

type Stored<T, D extends string> = Omit<T, D> & Record<D, string>;

const toEntry = (json: string): PresenceEntry => {
  const stored = JSON.parse(json) as Stored<PresenceEntry, 'joinedAt'>;
  return { ...stored, joinedAt: new Date(stored.joinedAt) };
};
const toWaiter = (json: string): LobbyWaiter => {
  const stored = JSON.parse(json) as Stored<LobbyWaiter, 'waitingSince'>;
  return { ...stored, waitingSince: new Date(stored.waitingSince) };
};

/**
 * Presence shared by every node through Redis. Each deciding operation (capacity and
 * replacement at join, leave-if-still-current, the lobby, removing a dead node's connections)
 * is one Lua script, so two nodes never both win. When Redis cannot answer, the operation fails
 * with SERVICE_UNAVAILABLE rather than deciding on stale state.
 */
export class RedisPresenceStore extends PresenceStore {
  private readonly logger = new Logger('RedisPresenceStore');

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  async join(entry: PresenceEntry, maxParticipants: number | null): Promise<PresenceJoinResult> {
    const [ok, previous, seq] = (await this.run(
      JOIN,
      [this.roomKey(entry.roomId), this.nodeKey(entry.nodeId), `${this.prefix}presence:joins`],
      entry.participantId,
      JSON.stringify(entry),
      maxParticipants ?? -1,
      member('p', entry.roomId, entry.participantId),
    )) as [number, string?, number?];
    if (ok === 0) return { ok: false, reason: 'full' };
    const alreadyJoined = previous === entry.socketId;
    return {
      ok: true,
      replacedSocketId: previous && !alreadyJoined ? previous : undefined,
      alreadyJoined,
      seq: Number(seq),
    };
  }

  async leave(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<PresenceEntry | undefined> {
    const removed = await this.remove('p', roomId, participantId, socketId);
    return removed ? toEntry(removed) : undefined;
  }

  async get(roomId: string, participantId: string): Promise<PresenceEntry | undefined> {
    const json = await this.call(() => this.redis.hget(this.roomKey(roomId), participantId));
    return json ? toEntry(json) : undefined;
  }

  async update(
    roomId: string,
    participantId: string,
    changes: Pick<PresenceEntry, 'displayName' | 'role'>,
  ): Promise<PresenceEntry | undefined> {
    const json = (await this.run(
      UPDATE,
      [this.roomKey(roomId)],
      participantId,
      changes.displayName,
      changes.role,
    )) as string | null;
    return json ? toEntry(json) : undefined;
  }

  async list(roomId: string): Promise<PresenceEntry[]> {
    const values = await this.call(() => this.redis.hvals(this.roomKey(roomId)));
    return values.map(toEntry).sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime());
  }

  size(roomId: string): Promise<number> {
    return this.call(() => this.redis.hlen(this.roomKey(roomId)));
  }

  async clearRoom(roomId: string): Promise<PresenceEntry[]> {
    const values = (await this.run(
      CLEAR,
      [this.roomKey(roomId), this.lobbyKey(roomId)],
      this.nodeKey(''),
      roomId,
    )) as string[];
    return values.map(toEntry);
  }

  async enqueueLobby(waiter: LobbyWaiter): Promise<void> {
    await this.run(
      ENQUEUE,
      [this.lobbyKey(waiter.roomId), this.nodeKey(waiter.nodeId)],
      waiter.participantId,
      JSON.stringify(waiter),
      member('l', waiter.roomId, waiter.participantId),
    );
  }

  async dequeueLobby(
    roomId: string,
    participantId: string,
    socketId?: string,
  ): Promise<LobbyWaiter | undefined> {
    const removed = await this.remove('l', roomId, participantId, socketId);
    return removed ? toWaiter(removed) : undefined;
  }

  async listLobby(roomId: string): Promise<LobbyWaiter[]> {
    const values = await this.call(() => this.redis.hvals(this.lobbyKey(roomId)));
    return values.map(toWaiter).sort((a, b) => a.waitingSince.getTime() - b.waitingSince.getTime());
  }

  async removeNode(nodeId: string): Promise<NodePresence> {
    const flat = (await this.run(REMOVE_NODE, [this.nodeKey(nodeId)], nodeId, this.prefix)) as
      string[] | null;
    const removed: NodePresence = { entries: [], waiters: [] };
    for (let i = 0; i + 1 < (flat ?? []).length; i += 2) {
      const [kind, json] = [flat![i], flat![i + 1]];
      if (kind === 'p') removed.entries.push(toEntry(json));
      else removed.waiters.push(toWaiter(json));
    }
    return removed;
  }

  private async remove(
    kind: 'p' | 'l',
    roomId: string,
    participantId: string,
    socketId: string | undefined,
  ): Promise<string | undefined> {
    const key = kind === 'p' ? this.roomKey(roomId) : this.lobbyKey(roomId);
    const removed = (await this.run(
      REMOVE,
      [key],
      participantId,
      socketId ?? '',
      this.nodeKey(''),
      member(kind, roomId, participantId),
    )) as string | null;
    return removed ?? undefined;
  }

  private run(script: string, keys: string[], ...args: (string | number)[]): Promise<unknown> {
    return this.call(() => this.redis.eval(script, keys.length, ...keys, ...args));
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn({ err: error }, 'Redis unavailable: presence cannot answer');
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Presence is unavailable; try again');
    }
  }

  private roomKey(roomId: string): string {
    return `${this.prefix}presence:room:${roomId}`;
  }

  private lobbyKey(roomId: string): string {
    return `${this.prefix}presence:lobby:${roomId}`;
  }

  private nodeKey(nodeId: string): string {
    return `${this.prefix}presence:node:${nodeId}`;
  }
}

function member(kind: 'p' | 'l', roomId: string, participantId: string): string {
  return `${kind}|${roomId}|${participantId}`;
}
