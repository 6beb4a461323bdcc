import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { type MetricsConfig, metricsConfig } from '../config/configuration.js';
import { Metrics } from './metrics.service.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The Prometheus scrape endpoint, `GET /metrics`, on its own port (CONVENE_METRICS_PORT), so that
 * an ingress routing the public port never exposes it. Listens when the application has started,
 * closes on shutdown.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsServer');
  private readonly server: Server;

  constructor(
    private readonly metrics: Metrics,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': CONTENT_TYPE }).end(text),
        (error: unknown) => {
          this.logger.error({ err: error }, 'collecting metrics failed');
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Error\n');
        },
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) =>
        reject(
          new Error(`CONVENE_METRICS_PORT: cannot listen on ${host}:${port}: ${error.message}`),
        );
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.logger.log({ port: this.port }, 'metrics served on their own port');
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** The port it listens on (the actual one when configured as 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
}
