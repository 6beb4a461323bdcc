import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type WebhooksConfig, webhooksConfig } from '../config/configuration.js';
import { Metrics } from '../metrics/metrics.service.js';
import { backoffMs } from './backoff.js';
import {
  type AttemptOutcome,
  WebhookDeliveries,
  type WebhookDelivery,
} from './webhook-deliveries.repository.js';
import { signedHeaders } from './webhook-signature.js';

/**
 * Requests this node has in flight at most, and per claim. A URL with PER_URL in flight is not
 * claimed for, so one dead endpoint (timing out) holds fewer than 2 * PER_URL of the slots.
 */
const CONCURRENCY = 32;
const PER_URL = 8;
/** A claim outlives the request's timeout by this much, so a live node never loses its row. */
const LEASE_MARGIN_MS = 30_000;

/**
 * This node's delivery loop: claims due rows (never a row another node holds), POSTs each one
 * signed, and records the outcome: delivered, retried after an exponential backoff with jitter,
 * or failed once CONVENE_WEBHOOK_MAX_ATTEMPTS are spent. Runs when a secret is configured.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookSender');
  private readonly stopping = new AbortController();
  private running = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightPerUrl = new Map<string, number>();

  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly metrics: Metrics,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.secret === undefined) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Something was enqueued here: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming; requests in flight are aborted and their rows are due again at once. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake();
    await this.loopDone;
  }

  /**
   * Claims as many due rows as it has free slots, starts their requests, and looks again when
   * one finishes, when something is enqueued here, when the next row is due, or at the poll.
   */
  private async loop(): Promise<void> {
    while (this.running) {
      try {
        this.woken = false;
        const free = Math.min(PER_URL, CONCURRENCY - this.inFlight.size);
        if (free > 0) {
          const busy = [...this.inFlightPerUrl].filter(([, n]) => n >= PER_URL).map(([u]) => u);
          const claimed = await this.deliveries.claimDue(
            free,
            this.config.timeoutMs + LEASE_MARGIN_MS,
            busy,
          );
          for (const delivery of claimed) this.start(delivery);
          if (claimed.length === free) continue;
        }
        const dueInMs = free > 0 ? await this.deliveries.nextDueInMs() : undefined;
        await this.sleep(Math.min(this.config.pollMs, dueInMs ?? Infinity));
      } catch (error) {
        if (!this.running) break;
        this.logger.warn({ err: error }, 'webhook delivery round failed; trying again');
        await this.sleep(this.config.pollMs);
      }
    }
    await Promise.all(this.inFlight);
  }

  private start(delivery: WebhookDelivery): void {
    const { url } = delivery;
    this.inFlightPerUrl.set(url, (this.inFlightPerUrl.get(url) ?? 0) + 1);
    const request = this.attempt(delivery).finally(() => {
      this.inFlight.delete(request);
      const left = (this.inFlightPerUrl.get(url) ?? 1) - 1;
      if (left > 0) this.inFlightPerUrl.set(url, left);
      else this.inFlightPerUrl.delete(url);
      this.wake();
    });
    this.inFlight.add(request);
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** One POST of one claimed row; its outcome is recorded, whatever happened. */
  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const outcome = await this.post(delivery);
    const label = outcome.delivered ? 'delivered' : outcome.retryInMs === null ? 'failed' : 'retry';
    this.metrics.webhookAttempts.inc({ outcome: label });
    if (label === 'failed')
      this.logger.warn(
        { deliveryId: delivery.id, url: delivery.url, attempts: delivery.attempts },
        'webhook delivery failed: no attempt left',
      );
    try {
      await this.deliveries.record(delivery.id, delivery.attempts, outcome);
    } catch (error) {
      // The row keeps its lease: it is attempted again when the lease ends.
      this.logger.warn({ err: error, deliveryId: delivery.id }, 'webhook outcome not recorded');
    }
  }

  private async post(delivery: WebhookDelivery): Promise<AttemptOutcome> {
    const secret = this.config.secret as string;
    const body = JSON.stringify(delivery.payload);
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'convene-webhooks/1',
          ...signedHeaders(secret, delivery.eventId, body),
        },
        body,
        // A redirect is an answer, not a delivery: the signed body is not sent elsewhere.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), this.stopping.signal]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { delivered: true, status: res.status };
      return this.failure(delivery, res.status, `HTTP ${res.status}`);
    } catch (error) {
      if (this.stopping.signal.aborted)
        return {
          delivered: false,
          status: null,
          error: 'aborted: node shutting down',
          retryInMs: 0,
        };
      return this.failure(delivery, null, this.describe(error));
    }
  }

  private failure(delivery: WebhookDelivery, status: number | null, error: string): AttemptOutcome {
    const retryInMs =
      delivery.attempts >= this.config.maxAttempts
        ? null
        : backoffMs(delivery.attempts, this.config.backoffMs);
    return { delivered: false, status, error, retryInMs };
  }

  private describe(error: unknown): string {
    if (error instanceof Error && error.name === 'TimeoutError')
      return `no answer within ${this.config.timeoutMs} ms`;
    const cause =
      error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
    if (cause?.code) return `request failed: ${cause.code}`;
    return `request failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
