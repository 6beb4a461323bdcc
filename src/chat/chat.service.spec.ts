import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type { ConfigType } from '@nestjs/config';
import { DomainError } from '../common/domain-error.js';
import type { chatConfig } from '../config/configuration.js';
import { Metrics } from '../metrics/metrics.service.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { InMemoryRateLimitStore } from '../rate-limit/in-memory-rate-limit.store.js';
import type { ChatKind, ChatMessage } from '../protocol/events.js';
import type { SocketIdentity } from '../protocol/socket-data.js';
import type { NodeDirectory } from '../cluster/node-directory.js';
import type { NodeRpc } from '../cluster/node-rpc.js';
import { ConferenceServer } from '../conference/conference-server.js';
import type { ConferenceNamespace } from '../conference/conference-socket.js';
import { InMemoryPresenceStore } from '../rooms/presence/in-memory-presence.store.js';
import { RoomMembership } from '../rooms/room-membership.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { AuditLog } from './audit/audit-log.js';
import type { AppendResult, AuditRecord, AuditStore } from './audit/audit.store.js';
import type { NewMessage } from './audit/hash-chain.js';
import { ChatDelivery } from './chat-delivery.js';
import { ChatRateLimiter } from './chat-rate-limiter.js';
import { ChatService } from './chat.service.js';
import { ChatSendDto } from './dto/chat-send.dto.js';

// The rules of ChatService in isolation: real presence, real delivery over a recording
// namespace, and an in-memory audit log standing in for PostgreSQL (the integration tests in
// test/chat.test.ts run the same rules against the real database and real sockets).

interface Emitted {
  targets: string[];
  except: string | undefined;
  message: ChatMessage;
}

function recordingNamespace(emitted: Emitted[]): ConferenceNamespace {
  const namespace = {
    to(targets: string | string[]) {
      const entry = { targets: [targets].flat(), except: undefined as string | undefined };
      const emitter = {
        except(socketId: string) {
          entry.except = socketId;
          return emitter;
        },
        emit(_event: string, message: ChatMessage) {
          emitted.push({ ...entry, message });
          return true;
        },
      };
      return emitter;
    },
  };
  return namespace as unknown as ConferenceNamespace;
}

class InMemoryAuditLog {
  readonly rows: AuditRecord[] = [];
  failing = false;

  append(message: NewMessage): Promise<AppendResult> {
    if (this.failing) {
      return Promise.reject(new DomainError(ErrorCode.AUDIT_UNAVAILABLE, 'database down'));
    }
    const previous = this.rows.find(
      (r) => r.senderId === message.senderId && r.clientMessageId === message.clientMessageId,
    );
    if (previous) return Promise.resolve({ record: previous, duplicate: true });
    const record = {
      ...message,
      id: randomUUID(),
      seq: this.rows.length + 1,
      storedAt: new Date().toISOString(),
    } as AuditRecord;
    this.rows.push(record);
    return Promise.resolve({ record, duplicate: false });
  }
}

const ROOM = randomUUID();
const OTHER_ROOM = randomUUID();
const person = (displayName: string, roomId = ROOM): SocketIdentity => ({
  participantId: randomUUID(),
  roomId,
  displayName,
  role: 'participant',
});

function send(kind: ChatKind, text: string, to?: string): ChatSendDto {
  return Object.assign(new ChatSendDto(), { kind, text, to, clientMessageId: randomUUID() });
}

describe('ChatService', () => {
  let presence: InMemoryPresenceStore;
  let audit: InMemoryAuditLog;
  let emitted: Emitted[];
  let chat: ChatService;
  const [alice, bob, carol, dave] = [
    person('Alice'),
    person('Bob'),
    person('Carol'),
    person('Dave', OTHER_ROOM),
  ];

  async function enter(who: SocketIdentity): Promise<void> {
    await presence.join(
      { ...who, socketId: `socket-${who.participantId}`, nodeId: 'node-1', joinedAt: new Date() },
      null,
    );
  }

  async function refused(sender: SocketIdentity, dto: ChatSendDto, code: ErrorCode) {
    const before = { rows: audit.rows.length, emitted: emitted.length };
    await assert.rejects(chat.send(sender, dto), (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.code, code);
      return true;
    });
    assert.equal(audit.rows.length, before.rows, 'a refused message is not stored');
    assert.equal(emitted.length, before.emitted, 'a refused message is not delivered');
  }

  beforeEach(async () => {
    presence = new InMemoryPresenceStore();
    audit = new InMemoryAuditLog();
    emitted = [];
    // One node: nothing is asked of other nodes here.
    const server = new ConferenceServer({} as NodeRpc, {} as NodeDirectory);
    server.attach(recordingNamespace(emitted));
    const config = { rateLimitPer10s: 100 } as ConfigType<typeof chatConfig>;
    chat = new ChatService(
      new RoomMembership(presence, {} as RoomsService),
      audit as unknown as AuditLog,
      new ChatDelivery(server),
      new ChatRateLimiter(config, new InMemoryRateLimitStore()),
      new Metrics(),
      // Only the retry lookup reads stored messages here.
      {
        findRetry: (senderId: string, clientMessageId: string) =>
          Promise.resolve(
            audit.rows.find(
              (r) => r.senderId === senderId && r.clientMessageId === clientMessageId,
            ),
          ),
      } as unknown as AuditStore,
    );
    for (const who of [alice, bob, carol, dave]) await enter(who);
  });

  it('delivers a private message to the two personal rooms only, after storing it', async () => {
    const message = await chat.send(alice, send('private', 'hi Bob', bob.participantId), 's-a');
    assert.equal(audit.rows.length, 1);
    assert.deepEqual(emitted, [
      {
        targets: [`participant:${bob.participantId}`, `participant:${alice.participantId}`],
        except: 's-a',
        message,
      },
    ]);
    assert.equal(message.to, bob.participantId);
    assert.deepEqual(message.from, { participantId: alice.participantId, displayName: 'Alice' });
  });

  it('delivers a public message to the room', async () => {
    await chat.send(alice, send('public', 'hello all'));
    assert.deepEqual(
      emitted.map((e) => e.targets),
      [[`room:${ROOM}`]],
    );
  });

  it('a participant who joins mid-conversation does not change where a private message goes', async () => {
    await chat.send(alice, send('private', 'one', bob.participantId));
    await enter(person('Eve'));
    await chat.send(alice, send('private', 'two', bob.participantId));
    for (const e of emitted) {
      assert.ok(
        e.targets.every((t) => t.startsWith('participant:')),
        `private message sent to ${e.targets.join(',')}`,
      );
    }
  });

  it('refuses a recipient who is not in the room: left, another room, or yourself', async () => {
    await presence.leave(ROOM, carol.participantId);
    await refused(
      alice,
      send('private', 'x', carol.participantId),
      ErrorCode.RECIPIENT_NOT_IN_ROOM,
    );
    await refused(alice, send('private', 'x', dave.participantId), ErrorCode.RECIPIENT_NOT_IN_ROOM);
    await refused(
      alice,
      send('private', 'x', alice.participantId),
      ErrorCode.RECIPIENT_NOT_IN_ROOM,
    );
  });

  // Whether `to` is there for the kind is ChatSendDto's check (chat-send.dto.spec.ts). Should a
  // private message without one get this far, it names nobody present: refused, not broadcast.
  it('refuses a private message that names no recipient, and delivers it nowhere', async () => {
    await refused(alice, send('private', 'x'), ErrorCode.RECIPIENT_NOT_IN_ROOM);
  });

  it('refuses a sender who is not (or no longer) in the room', async () => {
    await presence.leave(ROOM, alice.participantId);
    await refused(alice, send('public', 'x'), ErrorCode.NOT_JOINED);
  });

  it('fails closed when the audit log cannot store: nothing is delivered', async () => {
    audit.failing = true;
    await refused(alice, send('private', 'x', bob.participantId), ErrorCode.AUDIT_UNAVAILABLE);
  });

  it('a retry with the same clientMessageId returns the stored message without delivering twice', async () => {
    const dto = send('private', 'once', bob.participantId);
    const first = await chat.send(alice, dto);
    const second = await chat.send(alice, dto);
    assert.deepEqual(second, first);
    assert.equal(audit.rows.length, 1);
    assert.equal(emitted.length, 1);
  });

  it('a retry of a stored message gets its ack even after the recipient left, and is not delivered again', async () => {
    const dto = send('private', 'once', bob.participantId);
    const first = await chat.send(alice, dto);
    await presence.leave(ROOM, bob.participantId);
    assert.deepEqual(await chat.send(alice, dto), first);
    assert.equal(audit.rows.length, 1);
    assert.equal(emitted.length, 1);
    await refused(
      alice,
      send('private', 'new', bob.participantId),
      ErrorCode.RECIPIENT_NOT_IN_ROOM,
    );
  });
});
