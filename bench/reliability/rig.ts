/**
 * Everything a reliability run (or the suite's short version) stands up: a network namespace
 * for PostgreSQL where one can be made, the run's own PostgreSQL and Redis, a TCP relay between
 * the nodes and PostgreSQL, two convene nodes, and the chat load on them (connected, not yet
 * sending). `close()` takes it all down again, whatever state the faults left it in.
 */
import { TestCluster } from '../../test/support/cluster.js';
import { SlowLink } from '../../test/support/slow-link.js';
import { ChatLoad, type LoadShape } from './chat-load.js';
import type { Rig } from './faults.js';
import { NetNamespace, PrivatePostgres, PrivateRedis } from './services.js';

export interface RigOptions {
  shape: LoadShape;
  pgPort: number;
  redisPort: number;
  /** First of the media ports; node i gets 20 from base + 20 i. */
  rtcBase: number;
  deadlineMs: number;
  /** Put PostgreSQL in a namespace of its own (so that its link can be cut). */
  namespace?: string;
}

export interface StartedRig extends Rig {
  /** Why no namespace could be made, exactly as the system said (undefined: made). */
  namespaceError: string | undefined;
  netemError: string | undefined;
  close(): Promise<void>;
}

export async function startRig(options: RigOptions): Promise<StartedRig> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let ns: NetNamespace | undefined;
    let namespaceError: string | undefined;
    let netemError: string | undefined;
    if (options.namespace) {
      try {
        const made = await NetNamespace.create(options.namespace, 0);
        ns = made;
        cleanups.push(() => made.destroy());
        const netem = await made.netem();
        if (!netem.ok) netemError = netem.error;
      } catch (error) {
        namespaceError = (error as Error).message;
      }
    }
    const pg = await PrivatePostgres.create(options.pgPort, ns);
    cleanups.push(() => pg.destroy());
    const redis = new PrivateRedis(options.redisPort);
    await redis.start();
    cleanups.push(() => redis.kill());
    const pgLink = await SlowLink.start(`http://${pg.host}:${pg.port}`);
    cleanups.push(() => pgLink.close());
    const redisLink = await SlowLink.start(`http://127.0.0.1:${redis.port}`);
    cleanups.push(() => redisLink.close());

    // Test databases and the cluster's media ports come from the environment.
    process.env.CONVENE_TEST_ADMIN_URL = pg.url;
    process.env.CONVENE_TEST_CLUSTER_RTC_BASE = String(options.rtcBase);
    const linkPort = new URL(pgLink.url).port;
    const cluster = await TestCluster.start(
      2,
      {
        LOG_LEVEL: 'warn',
        CONVENE_DB_QUERY_TIMEOUT_MS: String(options.deadlineMs),
        CONVENE_NODE_TTL_SECONDS: '3',
      },
      {
        redisUrl: redis.url,
        // Node 2 reaches Redis (and so node 1) through a relay that can hold its traffic.
        nodeEnv: (i): Record<string, string> =>
          i === 1 ? { REDIS_URL: `redis://127.0.0.1:${new URL(redisLink.url).port}` } : {},
        databaseUrl: (url) => {
          const viaLink = new URL(url);
          viaLink.host = `127.0.0.1:${linkPort}`;
          return viaLink.toString();
        },
      },
    );
    cleanups.push(() => cluster.close());
    const load = new ChatLoad(() => cluster.nodes.map((n) => n.url), options.shape);
    cleanups.push(() => Promise.resolve(load.close()));
    await load.setUp();
    return {
      pg,
      redis,
      ns,
      pgLink,
      redisLink,
      cluster,
      load,
      deadlineMs: options.deadlineMs,
      namespaceError,
      netemError,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
