import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { TEST_ADMIN_KEY } from './app.js';
import { TestDatabase } from './database.js';

/** The Redis every cluster test shares, each under its own key prefix. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// Compiled to dist/test/support: the repository is three levels up.
const root = join(import.meta.dirname, '..', '..', '..');
const main = join(root, 'dist', 'src', 'main.js');
/** Media ports of the cluster tests: node i gets [base + 20 i, base + 20 i + 19]. */
const rtcBase = () => Number(process.env.CONVENE_TEST_CLUSTER_RTC_BASE ?? 43000);
let clusters = 0;

/** How a node's process ended. */
export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeOptions {
  /** Extra environment for this node (overrides the cluster's). */
  env?: Record<string, string>;
}

/** Where a cluster's services are, when not the shared test ones. */
export interface ClusterOptions {
  /** The Redis the nodes share (default TEST_REDIS_URL). */
  redisUrl?: string;
  /** The URL the nodes connect with, given the fresh database's (e.g. through a TCP relay). */
  databaseUrl?: (url: string) => string;
  /** Extra environment for the i-th node started (e.g. its own way to Redis). */
  nodeEnv?: (i: number) => Record<string, string>;
}

/** One real convene process (`node dist/src/main.js`) on a loopback port. */
export class ClusterNode {
  process: ChildProcess | undefined;
  readonly url: string;
  private exited: Promise<NodeExit> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly id: string,
    readonly port: number,
    readonly env: Record<string, string>,
    readonly logFile: string,
    /** Extra node flags, e.g. `--cpu-prof` (which NODE_OPTIONS does not allow). */
    private readonly nodeArgs: string[] = [],
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the process and waits until /health/ready answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['--enable-source-maps', ...this.nodeArgs, main], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.process = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.id} exited at start:\n${this.log()}`);
      const ready = await fetch(`${this.url}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`${this.id} not ready in time:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && !this.process.killed;
  }

  /** SIGKILL: the node dies with no chance to clean up. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.process?.kill('SIGKILL');
    await this.exited;
  }

  /**
   * SIGSTOP: the process stalls (as under a long GC pause or a frozen VM) until `resume()`.
   * Sent with process.kill, so that `running` (ChildProcess.killed) stays true.
   */
  pause(): void {
    if (this.process?.pid) process.kill(this.process.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.process?.pid) process.kill(this.process.pid, 'SIGCONT');
  }

  /** SIGTERM without waiting: the node drains; `exit()` says how it ended. */
  terminate(): void {
    if (this.process?.pid && this.process.exitCode === null)
      process.kill(this.process.pid, 'SIGTERM');
  }

  /** Resolves with how the process ended; rejects if it is still running after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<NodeExit> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`${this.id} still running after ${timeoutMs} ms:\n${this.log()}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM and wait (a clean stop); SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.process?.kill('SIGTERM');
    const timer = setTimeout(() => this.process?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The node's log so far (JSON lines), for failure messages. */
  log(lastLines = 60): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lastLines).join('\n');
    } catch {
      return '';
    }
  }
}

/**
 * Several real convene processes sharing one fresh database, the local Redis (under a key prefix
 * of their own), one JWT secret and one admin key, as a Kubernetes deployment's replicas do.
 */
export class TestCluster {
  readonly nodes: ClusterNode[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly redisKeyPrefix: string,
    readonly redisUrl: string,
    private readonly dir: string,
    private readonly baseEnv: Record<string, string>,
    private readonly index: number,
  ) {}

  /** Starts `count` nodes (the first alone, so that it alone runs the migrations). */
  static async start(
    count: number,
    env: Record<string, string> = {},
    options: ClusterOptions = {},
  ): Promise<TestCluster> {
    const db = await TestDatabase.create();
    const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
    const prefix = `convene-test:${randomBytes(4).toString('hex')}:`;
    const dir = mkdtempSync(join(tmpdir(), 'convene-cluster-'));
    const index = clusters++;
    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_CLUSTER_LOG_LEVEL ?? 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(db.url) : db.url,
      REDIS_URL: redisUrl,
      CONVENE_REDIS_KEY_PREFIX: prefix,
      CONVENE_JWT_SECRET: randomBytes(32).toString('hex'),
      CONVENE_ADMIN_API_KEY: TEST_ADMIN_KEY,
      CONVENE_DATA_DIR: join(dir, 'data'),
      CONVENE_METRICS_PORT: '0',
      CONVENE_METRICS_HOST: '127.0.0.1',
      CONVENE_NODE_TTL_SECONDS: '3',
      CONVENE_NODE_REQUEST_TIMEOUT_MS: '2000',
      CONVENE_RTC_LISTEN_IP: '127.0.0.1',
      CONVENE_MEDIA_WORKERS: '1',
      // A stop (SIGTERM) drains: short here, so that close() stays well within stop()'s grace.
      CONVENE_DRAIN_SECONDS: '5',
      ...env,
    };
    const cluster = new TestCluster(db, prefix, redisUrl, dir, baseEnv, index);
    try {
      for (let i = 0; i < count; i++) {
        const node = await cluster.add({ env: options.nodeEnv?.(i) });
        if (i === 0) await node.start();
      }
      await Promise.all(cluster.nodes.slice(1).map((n) => n.start()));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Another node, not yet started (`await node.start()`). */
  async add(options: NodeOptions = {}): Promise<ClusterNode> {
    const i = this.nodes.length;
    const id = `node-${i + 1}`;
    const port = await freePort();
    const rtcMin = rtcBase() + (this.index % 10) * 200 + i * 20;
    const node = new ClusterNode(
      id,
      port,
      {
        ...this.baseEnv,
        PORT: String(port),
        CONVENE_NODE_ID: id,
        CONVENE_RTC_MIN_PORT: String(rtcMin),
        CONVENE_RTC_MAX_PORT: String(rtcMin + 19),
        ...options.env,
      },
      join(this.dir, `${id}.log`),
    );
    this.nodes.push(node);
    return node;
  }

  node(i: number): ClusterNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`no node ${i}`);
    return node;
  }

  /** Every node's log tail, for a failing assertion's message. */
  logs(): string {
    return this.nodes.map((n) => `--- ${n.id}\n${n.log()}`).join('\n');
  }

  /** Stops every node, drops the database and removes the cluster's Redis keys. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `${this.redisKeyPrefix}*`,
          'COUNT',
          500,
        );
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    await this.db.drop();
    if (!process.env.TEST_KEEP_CLUSTER_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * One convene process as someone starts it by hand: only the environment given here (no admin
 * key, no JWT secret: what a first run generates), on `databaseUrl`, its data and log in `dir`.
 */
export async function standaloneNode(
  name: string,
  mode: 'development' | 'test' | 'production',
  databaseUrl: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<ClusterNode> {
  const port = await freePort();
  return new ClusterNode(
    name,
    port,
    {
      PATH: process.env.PATH ?? '',
      NODE_ENV: mode,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      CONVENE_DATA_DIR: join(dir, 'data'),
      CONVENE_METRICS_PORT: '0',
      CONVENE_METRICS_HOST: '127.0.0.1',
      CONVENE_RTC_LISTEN_IP: '127.0.0.1',
      CONVENE_MEDIA_WORKERS: '1',
      ...env,
    },
    join(dir, `${name}-${port}.log`),
  );
}

/**
 * For a describe block: a cluster of `count` nodes, started before its tests; after them, every
 * client given to `track` is closed, then the cluster.
 */
export function useCluster(
  count: number,
  env: Record<string, string> = {},
): { readonly cluster: TestCluster; track: <C extends { close(): void }>(client: C) => C } {
  let cluster: TestCluster | undefined;
  const clients: { close(): void }[] = [];
  before(async () => {
    cluster = await TestCluster.start(count, env);
  });
  after(async () => {
    for (const client of clients) client.close();
    await cluster?.close();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('useCluster: used outside the block’s tests');
      return cluster;
    },
    track: (client) => {
      clients.push(client);
      return client;
    },
  };
}
