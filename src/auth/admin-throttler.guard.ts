import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { RateLimitedError } from '../common/domain-error.js';
import { IS_PUBLIC } from '../common/public.decorator.js';
import type { AuthenticatedRequest } from './api-key.guard.js';

/**
 * Rate limits the admin HTTP API per API key (runs after ApiKeyGuard, so every request it sees
 * carries a verified key); health probes, public routes and sockets are exempt. Unknown keys
 * never reach it: ApiKeyGuard limits those per address.
 */
@Injectable()
export class AdminThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    return Promise.resolve(isPublic === true);
  }

  protected override getTracker({ apiKey, ip }: AuthenticatedRequest): Promise<string> {
    return Promise.resolve(apiKey ? `key:${apiKey.id}` : `address:${ip ?? 'unknown'}`);
  }

  /**
   * One budget per key for the whole admin API (the throttler's default key is per route, which
   * let a client make the limit's worth of requests on every route).
   */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  /** Our error model, with `Retry-After` the seconds left in the window. */
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(
      `Too many requests with this API key; try again in ${detail.timeToBlockExpire} s`,
      detail.timeToBlockExpire,
    );
  }
}
