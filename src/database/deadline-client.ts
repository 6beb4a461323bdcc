import pg from 'pg';

/** A query PostgreSQL did not answer in time; its connection has been closed. */
export class QueryDeadlineError extends Error {
  constructor(ms: number) {
    super(`PostgreSQL did not answer within ${ms} ms; connection closed`);
    this.name = 'QueryDeadlineError';
  }
}

const isSubmittable = (config: unknown) =>
  typeof (config as { submit?: unknown } | null)?.submit === 'function';

/**
 * A pg Client whose queries must be answered within `ms`, or the connection is destroyed
 * (as pg-pool does on a connect timeout). That fails the query and everything queued behind it,
 * and the pool drops the connection instead of handing it out again still waiting for an
 * answer, possibly inside a transaction. Cursors and streams (pg-cursor, pg-query-stream) are
 * exempt: they stay open as long as their reader needs. Note that PostgreSQL times such a
 * protocol-level cursor as one statement, from its first fetch to its last, so
 * `statement_timeout` cancels it once the whole read takes longer; long reads use a cursor
 * declared in SQL and read with FETCH, each fetch a query of its own (the audit store does).
 */
export function deadlineClient(ms: number): typeof pg.Client {
  return class DeadlineClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      this.query = ((...args: unknown[]) => {
        if (isSubmittable(args[0])) return query(...args);
        const timer = setTimeout(
          () => this.connection.stream.destroy(new QueryDeadlineError(ms)),
          ms,
        ).unref();
        const last = args.length - 1;
        if (typeof args[last] === 'function') {
          const callback = args[last] as (...results: unknown[]) => void;
          args[last] = (...results: unknown[]) => {
            clearTimeout(timer);
            callback(...results);
          };
          return query(...args);
        }
        const result = query(...args);
        const clear = () => clearTimeout(timer);
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function')
          (result as PromiseLike<unknown>).then(clear, clear);
        else clear(); // a form this wrapper does not track: no deadline rather than a wrong one
        return result;
      }) as pg.Client['query'];
    }
  };
}
