import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process' Prometheus registry and convene's own metrics. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'convene_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly socketConnections = new Gauge({
    name: 'convene_socket_connections',
    help: 'Authenticated /conference connections on this process',
    registers: [this.registry],
  });

  readonly chatMessages = new Counter({
    name: 'convene_chat_messages_total',
    help: 'Chat messages stored and delivered, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly chatRejected = new Counter({
    name: 'convene_chat_rejected_total',
    help: 'Chat sends refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly auditBatchSize = new Histogram({
    name: 'convene_audit_batch_size',
    help: 'Messages committed per audit transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'convene_webhook_attempts_total',
    help: 'Webhook POSTs made by this process, by outcome (delivered, retry, failed: no attempt left)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'convene_' });
  }
}
