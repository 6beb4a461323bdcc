import { randomUUID } from 'node:crypto';
import type { ChatMessage, ChatSendPayload, Role } from '../../src/protocol/events.js';
import { Admin } from './admin.js';
import type { TestCluster } from './cluster.js';
import { connect, connectAndJoin, type TestClient } from './sockets.js';

export interface Person {
  name: string;
  participantId: string;
  token: string;
  /** The node (index in the cluster) this person is connected to. */
  node: number;
  client: TestClient;
}

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
 * A room on a test cluster with people connected to chosen nodes; `close()` disconnects
 * everyone it connected. `admin(i)` is the admin API of node i.
 */
export class ClusterRoom {
  private readonly clients: TestClient[] = [];

  private constructor(
    readonly cluster: TestCluster,
    readonly roomId: string,
  ) {}

  static async create(
    cluster: TestCluster,
    body: { maxParticipants?: number; lobby?: boolean } = {},
  ): Promise<ClusterRoom> {
    return new ClusterRoom(cluster, await new Admin(cluster.node(0).url).createRoom(body));
  }

  admin(node: number): Admin {
    return new Admin(this.cluster.node(node).url);
  }

  /** Issues a token and connects it to `node` (joined unless `join: false`). */
  async person(
    node: number,
    name: string,
    options: { role?: Role; join?: boolean } = {},
  ): Promise<Person> {
    const { token, participantId } = await this.admin(node).issueToken(
      this.roomId,
      name,
      options.role,
    );
    return { name, participantId, token, node, client: await this.connect(node, token, options) };
  }

  /** Connects `token` to `node` again (another tab, or a reconnect). */
  async connect(
    node: number,
    token: string,
    options: { join?: boolean } = {},
  ): Promise<TestClient> {
    const url = this.cluster.node(node).url;
    const client =
      options.join === false ? await connect(url, token) : await connectAndJoin(url, token);
    this.clients.push(client);
    return client;
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

  close(): void {
    for (const client of this.clients) client.close();
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
