import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsServer } from './metrics-server.js';
import { Metrics } from './metrics.service.js';

/** The registry every feature records into, and its scrape endpoint on a separate port. */
@Global()
@Module({
  providers: [Metrics, MetricsServer],
  exports: [Metrics],
})
export class MetricsModule implements NestModule {
  constructor(private readonly metrics: Metrics) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        const stop = this.metrics.httpRequests.startTimer({ method: req.method });
        res.on('finish', () => {
          // The matched route pattern keeps label cardinality bounded (no ids in labels).
          const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
          stop({ route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
        });
        next();
      })
      .forRoutes('*path');
  }
}
