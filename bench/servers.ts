/**
 * The servers the benchmarks drive: the bare relay (bench/relay.ts) and one convene node (a real
 * `node dist/src/main.js` on a fresh database), with the admin-API calls that set a room up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { TEST_ADMIN_KEY } from '../test/support/app.js';
import { ClusterNode, freePort } from '../test/support/cluster.js';
import { TestDatabase } from '../test/support/database.js';
import { connectSocket } from './load.js';

const dist = join(import.meta.dirname, '..');

export interface Relay {
  url: string;
  pid: number | undefined;
  stop: () => Promise<void>;
}

/**
 * The relay in its own process; resolves once it listens. `script` is another baseline of the
 * same protocol (bench/durable-relay.ts), with `env` added to its environment.
 */
export async function startRelay(
  script = 'relay.js',
  env: Record<string, string> = {},
): Promise<Relay> {
  const child: ChildProcess = spawn(process.execPath, [join(dist, 'bench', script)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An admin-API call (POST with `body`, GET without). */
export async function admin<T>(url: string, path: string, body?: object): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'X-API-Key': TEST_ADMIN_KEY, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A new open room; its id. */
export async function createRoom(
  url: string,
  name: string,
  maxParticipants: number,
): Promise<string> {
  return (await admin<{ id: string }>(url, '/rooms', { name, maxParticipants })).id;
}

/** A participant identity with its join token, as the admin API issues it. */
export function issueToken(
  url: string,
  roomId: string,
  displayName: string,
): Promise<{ token: string; participantId: string }> {
  return admin(url, `/rooms/${roomId}/tokens`, { displayName });
}

/** A connection that has joined `roomId` as a new participant named `name`. */
export async function joined(
  url: string,
  roomId: string,
  name: string,
): Promise<{ socket: Socket; participantId: string }> {
  const { token, participantId } = await issueToken(url, roomId, name);
  const socket = await connectSocket(url, { token });
  const ack = (await socket.timeout(10_000).emitWithAck('room:join', {})) as { ok: boolean };
  if (!ack.ok) throw new Error(`${name} could not join: ${JSON.stringify(ack)}`);
  return { socket, participantId };
}

export interface BenchNode {
  node: ClusterNode;
  db: TestDatabase;
  /** Stops the node, drops its database and removes its files. */
  drop: () => Promise<void>;
}

/**
 * One convene node without Redis on `db` (else a fresh database), with `env` added to its
 * environment; `drop()` stops it and drops the database.
 */
export async function oneNode(
  env: Record<string, string> = {},
  existing?: TestDatabase,
): Promise<BenchNode> {
  const db = existing ?? (await TestDatabase.create());
  const dir = mkdtempSync(join(tmpdir(), 'convene-bench-'));
  const port = await freePort();
  const node = new ClusterNode(
    'bench-node',
    port,
    {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      CONVENE_JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789abcdef',
      CONVENE_ADMIN_API_KEY: TEST_ADMIN_KEY,
      CONVENE_DATA_DIR: join(dir, 'data'),
      CONVENE_METRICS_PORT: '0',
      CONVENE_METRICS_HOST: '127.0.0.1',
      CONVENE_RTC_LISTEN_IP: '127.0.0.1',
      CONVENE_RTC_MIN_PORT: process.env.CONVENE_RTC_MIN_PORT ?? '43900',
      CONVENE_RTC_MAX_PORT: process.env.CONVENE_RTC_MAX_PORT ?? '43999',
      CONVENE_MEDIA_WORKERS: '1',
      ...env,
    },
    join(dir, 'node.log'),
    // e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the convene process.
    process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  );
  try {
    await node.start();
  } catch (error) {
    await node.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    node,
    db,
    drop: async () => {
      await node.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
