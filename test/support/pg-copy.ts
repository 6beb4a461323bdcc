/**
 * COPY through `pg`, which has no COPY API of its own: a statement submitted as a custom query
 * object (the interface pg-cursor and pg-query-stream use), fed or drained chunk by chunk.
 */
import type pg from 'pg';

/** The part of pg's connection a COPY needs. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyQuery {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly sql: string,
    private readonly input: readonly Buffer[],
    private readonly onData: (chunk: Buffer) => void,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.input) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCopyData(message: { chunk: Buffer }): void {
    this.onData(message.chunk);
  }

  handleError(error: Error): void {
    this.reject(error);
  }

  handleReadyForQuery(): void {
    this.resolve();
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** `COPY ... FROM STDIN` with `data` (text or CSV, as the statement says). */
export async function copyIn(
  client: pg.Client,
  sql: string,
  data: readonly Buffer[],
): Promise<void> {
  const query = new CopyQuery(sql, data, () => undefined);
  client.query(query as unknown as pg.Submittable);
  await query.done;
}

/** `COPY ... TO STDOUT`, each chunk (one row of COPY's output) handed to `onData`. */
export async function copyOut(
  client: pg.Client,
  sql: string,
  onData: (chunk: Buffer) => void,
): Promise<void> {
  const query = new CopyQuery(sql, [], onData);
  client.query(query as unknown as pg.Submittable);
  await query.done;
}
