import { randomUUID } from 'node:crypto';
import type { ChatMessage, ChatSendPayload, Role } from '../../src/protocol/events.js';
import { Admin } from './admin.js';
import type { TestCluster } from './cluster.js';
import { type Person, type RoomFixture, type RoomOptions, type TestRoom } from './room.js';
import type { TestClient } from './sockets.js';

export type { Person };

/** A stored message as the audit API lists it. */
export interface AuditedMessage {
  id: string;
  seq: number;
  kind: 'public' | 'private';
  text: string;
  clientMessageId: string;
  from: { participantId: string };
  to: { participantId: string } | null;
}

/**
 * A room on a test cluster, with people connected to chosen nodes through the shared room
 * fixture (which closes every connection it opened). `admin(i)` is the admin API of node i.
 */
export class ClusterRoom {
  private constructor(
    readonly cluster: TestCluster,
    private readonly rooms: RoomFixture,
    private readonly room: TestRoom,
  ) {}

  static async create(
    cluster: TestCluster,
    rooms: RoomFixture,
    options: RoomOptions = {},
  ): Promise<ClusterRoom> {
    return new ClusterRoom(cluster, rooms, await rooms.create(options));
  }

  get roomId(): string {
    return this.room.id;
  }

  admin(node: number): Admin {
    return new Admin(this.cluster.node(node).url);
  }

  /** Issues `name` a token and connects to `node`, joined unless `join: false`. */
  person(
    node: number,
    name: string,
    options: { role?: Role; join?: boolean } = {},
  ): Promise<Person> {
    const at = { url: this.cluster.node(node).url };
    return options.join === false
      ? this.room.connect(name, options.role, at)
      : this.room.join(name, options.role, at);
  }

  /** Connects `token` to `node` again (another tab, or a reconnect), joined unless `join: false`. */
  connect(node: number, token: string, options: { join?: boolean } = {}): Promise<TestClient> {
    const at = { url: this.cluster.node(node).url };
    return options.join === false
      ? this.rooms.connect(token, at)
      : this.rooms.connectAndJoin(token, at);
  }

  /** Who the admin API of `node` lists as connected. */
  async live(node: number): Promise<string[]> {
    const res = await this.admin(node).get(`/api/v1/rooms/${this.roomId}/participants`).expect(200);
    return (res.body as { participantId: string }[]).map((p) => p.participantId).sort();
  }

  /** Every stored message of the room, in seq order, read through the admin API of `node`. */
  async audited(node: number): Promise<AuditedMessage[]> {
    const all: AuditedMessage[] = [];
    let cursor: number | null = null;
    do {
      const query: string = `limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await this.admin(node)
        .get(`/api/v1/rooms/${this.roomId}/messages?${query}`)
        .expect(200);
      const page = res.body as { items: AuditedMessage[]; nextCursor: number | null };
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all.sort((a, b) => a.seq - b.seq);
  }
}

/** Sends a chat message and returns the stored one; fails the test if it is refused. */
export async function sendOk(
  from: Person | TestClient,
  payload: Omit<ChatSendPayload, 'clientMessageId'>,
): Promise<ChatMessage> {
  const client = 'client' in from ? from.client : from;
  const ack = await client.request(
    'chat:send',
    { ...payload, clientMessageId: randomUUID() },
    15_000,
  );
  if (!ack.ok) throw new Error(`send failed: ${ack.error.code} ${ack.error.message}`);
  return ack.message;
}

export const privateTexts = (client: TestClient): string[] =>
  client
    .events('chat:message')
    .filter((m) => m.kind === 'private')
    .map((m) => m.text);
