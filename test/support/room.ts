import { randomUUID } from 'node:crypto';
import { after, afterEach, beforeEach } from 'node:test';
import type {
  ChatMessage,
  JoinedResult,
  Role,
  ScreenSharePolicy,
  WaitingResult,
} from '../../src/protocol/events.js';
import { Admin } from './admin.js';
import { connect, type TestClient, type TransportName } from './sockets.js';

export interface RoomOptions {
  name?: string;
  maxParticipants?: number;
  lobby?: boolean;
  screenShare?: ScreenSharePolicy;
}

export interface ConnectOptions {
  /** Another node or app than the fixture's (same database, same signing secret). */
  url?: string;
  auth?: Record<string, unknown>;
  headers?: Record<string, string>;
  transport?: TransportName;
}

/** Someone issued a join token for a room, with the connection the fixture opened for them. */
export class Person {
  constructor(
    readonly name: string,
    readonly role: Role | undefined,
    readonly roomId: string,
    readonly participantId: string,
    readonly token: string,
    readonly client: TestClient,
    /** What room:join answered (`waiting` for a guest held in a lobby); undefined if not asked. */
    readonly joined?: JoinedResult | WaitingResult,
  ) {}

  /** Sends a public message; resolves with the stored message, fails the test if refused. */
  async say(text: string): Promise<ChatMessage> {
    const ack = await this.client.request('chat:send', {
      kind: 'public',
      text,
      clientMessageId: randomUUID(),
    });
    if (!ack.ok) throw new Error(`${this.name} could not say "${text}": ${ack.error.code}`);
    return ack.message;
  }
}

/** A room created through the admin API, and the people the test put in it, by name. */
export class TestRoom {
  private readonly people = new Map<string, Person>();

  constructor(
    readonly id: string,
    private readonly rooms: RoomFixture,
  ) {}

  /** A join token for `name` (nobody connects). */
  issue(name: string, role?: Role) {
    return this.rooms.admin.issueToken(this.id, name, role);
  }

  /** Issues `name` a token, connects and joins; a guest in a lobby room is left waiting. */
  async join(name: string, role?: Role, options: ConnectOptions = {}): Promise<Person> {
    const { token, participantId } = await this.issue(name, role);
    const client = await this.rooms.connect(token, options);
    const ack = await client.request('room:join', {});
    if (!ack.ok) throw new Error(`${name} could not join: ${ack.error.code} ${ack.error.message}`);
    return this.add(new Person(name, role, this.id, participantId, token, client, ack));
  }

  /** Issues `name` a token and connects without joining (the test joins, or never does). */
  async connect(name: string, role?: Role, options: ConnectOptions = {}): Promise<Person> {
    const { token, participantId } = await this.issue(name, role);
    const client = await this.rooms.connect(token, options);
    return this.add(new Person(name, role, this.id, participantId, token, client));
  }

  /** Someone the test added, by name. */
  person(name: string): Person {
    return this.people.get(name) ?? missing(`nobody called ${name} in room ${this.id}`);
  }

  private add(person: Person): Person {
    this.people.set(person.name, person);
    return person;
  }
}

function missing(message: string): never {
  throw new Error(message);
}

/**
 * Rooms with people, for one app. Every connection it opens is closed by the fixture: those
 * opened during a test when that test ends (passed or failed), those opened in a before() hook
 * after the suite.
 */
export class RoomFixture {
  private readonly suiteClients: TestClient[] = [];
  private readonly testClients: TestClient[] = [];
  private testDepth = 0;

  constructor(private readonly baseUrl: () => string) {}

  get url(): string {
    return this.baseUrl();
  }

  get admin(): Admin {
    return new Admin(this.url);
  }

  async create(options: RoomOptions = {}): Promise<TestRoom> {
    return new TestRoom(await this.admin.createRoom(options), this);
  }

  /** A room made another way (e.g. rows written straight into the database), to add people to. */
  room(id: string): TestRoom {
    return new TestRoom(id, this);
  }

  /** Connects with a token (to /conference), without joining. */
  async connect(token: string | undefined, options: ConnectOptions = {}): Promise<TestClient> {
    return this.track(
      await connect(
        options.url ?? this.url,
        token,
        options.auth,
        options.headers,
        options.transport,
      ),
    );
  }

  /** Connects with a token and joins; fails the test if either step fails. */
  async connectAndJoin(token: string, options: ConnectOptions = {}): Promise<TestClient> {
    const client = await this.connect(token, options);
    const ack = await client.request('room:join', {});
    if (!ack.ok) throw new Error(`join failed: ${ack.error.code} ${ack.error.message}`);
    return client;
  }

  /** Closes `client` along with the fixture's own connections. */
  track<T extends TestClient>(client: T): T {
    (this.testDepth > 0 ? this.testClients : this.suiteClients).push(client);
    return client;
  }

  /** Hooks: subtests (ctx.test) may run them too, so only the outermost test's end closes. */
  startTest(): void {
    this.testDepth += 1;
  }
  endTest(): void {
    this.testDepth = Math.max(0, this.testDepth - 1);
    if (this.testDepth === 0) for (const client of this.testClients.splice(0)) client.close();
  }
  closeAll(): void {
    for (const client of [...this.testClients.splice(0), ...this.suiteClients.splice(0)])
      client.close();
  }
}

/**
 * A room fixture for the enclosing describe() (or file), bound to the app `app()` returns once
 * started; registers the hooks that close its connections.
 */
export function useRooms(app: () => { url: string }): RoomFixture {
  const rooms = new RoomFixture(() => app().url);
  beforeEach(() => rooms.startTest());
  afterEach(() => rooms.endTest());
  after(() => rooms.closeAll());
  return rooms;
}
