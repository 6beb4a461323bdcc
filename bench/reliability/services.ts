/**
 * The services a reliability run may break on purpose, all its own: a PostgreSQL (Debian's
 * binaries, a private data folder and port, optionally inside a network namespace of its own so
 * that the link to it can be cut) and a redis-server on a private port. The machine's shared
 * PostgreSQL and Redis are never touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

const run = promisify(execFile);
const PG_BIN = process.env.RELIABILITY_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command, resolving with its stdout; the error carries stderr. */
async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args)).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, {
      cause: error,
    });
  }
}

/**
 * A network namespace joined to the host by a veth pair (host side `hostIp`, namespace side
 * `ip`): whatever listens inside is reached over that link, and `cut()` takes the link down
 * (packets are dropped, nothing is refused: TCP peers just stop hearing each other).
 */
export class NetNamespace {
  private constructor(
    readonly name: string,
    private readonly hostDev: string,
    readonly hostIp: string,
    readonly ip: string,
  ) {}

  /** Creates it; rejects with the system's exact error where namespaces cannot be made. */
  static async create(name: string, subnet: number): Promise<NetNamespace> {
    const ns = new NetNamespace(name, `${name}-h`, `10.231.${subnet}.1`, `10.231.${subnet}.2`);
    await ns.destroy();
    try {
      await sh('ip', ['netns', 'add', name]);
      await sh('ip', ['link', 'add', ns.hostDev, 'type', 'veth', 'peer', 'name', `${name}-n`]);
      await sh('ip', ['link', 'set', `${name}-n`, 'netns', name]);
      await sh('ip', ['addr', 'add', `${ns.hostIp}/24`, 'dev', ns.hostDev]);
      await sh('ip', ['link', 'set', ns.hostDev, 'up']);
      await ns.exec('ip', ['addr', 'add', `${ns.ip}/24`, 'dev', `${name}-n`]);
      await ns.exec('ip', ['link', 'set', `${name}-n`, 'up']);
      await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    } catch (error) {
      await ns.destroy();
      throw error;
    }
    return ns;
  }

  exec(cmd: string, args: string[]): Promise<string> {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** Whether `tc qdisc ... netem` works on the link; the exact error when it does not. */
  async netem(): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      await sh('tc', ['qdisc', 'add', 'dev', this.hostDev, 'root', 'netem', 'delay', '1ms']);
      await sh('tc', ['qdisc', 'del', 'dev', this.hostDev, 'root']);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  async cut(): Promise<void> {
    await sh('ip', ['link', 'set', this.hostDev, 'down']);
  }

  async heal(): Promise<void> {
    await sh('ip', ['link', 'set', this.hostDev, 'up']);
  }

  async destroy(): Promise<void> {
    await sh('ip', ['link', 'del', this.hostDev]).catch(() => undefined);
    await sh('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

/**
 * A PostgreSQL of the run's own (user postgres, trust), started with pg_ctl so that it can be
 * stopped and started again under the same data; inside `ns` when given.
 */
export class PrivatePostgres {
  private constructor(
    private readonly dir: string,
    readonly host: string,
    readonly port: number,
    private readonly ns: NetNamespace | undefined,
  ) {}

  get url(): string {
    return `postgres://postgres@${this.host}:${this.port}/postgres`;
  }

  static async create(port: number, ns?: NetNamespace): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'convene-reliability-pg-'));
    mkdirSync(join(dir, 'data'));
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    chownSync(dir, uid, uid);
    chownSync(join(dir, 'data'), uid, uid);
    const db = new PrivatePostgres(dir, ns?.ip ?? '127.0.0.1', port, ns);
    await db.asPostgres(join(PG_BIN, 'initdb'), [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
    ]);
    if (ns)
      appendFileSync(join(dir, 'data', 'pg_hba.conf'), `host all all ${ns.hostIp}/24 trust\n`);
    await db.start();
    return db;
  }

  private asPostgres(cmd: string, args: string[]): Promise<string> {
    const argv = ['-u', 'postgres', '--', cmd, ...args];
    return this.ns ? this.ns.exec('runuser', argv) : sh('runuser', argv);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      `-c listen_addresses=${this.host}`,
      '-c max_connections=200',
      '-c fsync=off',
    ].join(' ');
    await this.asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      'start',
    ]);
  }

  /** A fast shutdown: open connections are closed, the server stops accepting new ones. */
  async stop(): Promise<void> {
    await this.asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      join(this.dir, 'data'),
      '-m',
      'fast',
      '-w',
      'stop',
    ]);
  }

  async query<T extends pg.QueryResultRow>(
    database: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const url = new URL(this.url);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server (if running) and removes its data. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the run's own, without persistence: `kill()` loses everything it held. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      const ok = await client.connect().then(
        () => client.ping().then(() => true),
        () => false,
      );
      client.disconnect();
      if (ok) return;
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await sleep(100);
    }
  }

  /** SIGKILL: the server and all its data are gone at once. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
