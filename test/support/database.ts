import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the test run uses (DATABASE_URL at the start of the run). */
export function adminUrl(): string {
  const url = process.env.CONVENE_TEST_ADMIN_URL ?? process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'run tests with `npm test` (it sets DATABASE_URL or starts an embedded server)',
    );
  return url;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server, dropped by `drop()`. */
export class TestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(): Promise<TestDatabase> {
    const name = `convene_t_${randomBytes(6).toString('hex')}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(adminUrl());
    url.pathname = `/${name}`;
    return new TestDatabase(name, url.toString());
  }

  /** Runs one query on this database with its own connection. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    return this.queryOnce<T>(sql, params);
  }

  /**
   * Runs one query with triggers disabled, as a superuser can: how the
   * append-only audit tables can still be tampered with, for tests of what verify then shows.
   */
  tamper<T extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    return this.queryOnce<T>(sql, params, 'SET session_replication_role = replica');
  }

  private async queryOnce<T extends pg.QueryResultRow>(
    sql: string,
    params: unknown[],
    setup?: string,
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      if (setup) await client.query(setup);
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Makes the database unreachable, as if its server went down, until `reopen()`. */
  async cut(): Promise<void> {
    await withAdmin(async (c) => {
      await c.query(`ALTER DATABASE ${this.name} ALLOW_CONNECTIONS false`);
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [this.name],
      );
    });
  }

  async reopen(): Promise<void> {
    await withAdmin((c) => c.query(`ALTER DATABASE ${this.name} ALLOW_CONNECTIONS true`));
  }

  async drop(): Promise<void> {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}
