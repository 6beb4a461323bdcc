import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { IS_PUBLIC } from '../common/public.decorator.js';

/** Rate limits the admin HTTP API per client address; health probes and sockets are exempt. */
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

  /**
   * One budget per client address for the whole admin API (the throttler's default key is per
   * route, which let a client make the limit's worth of requests on every route).
   */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }
}
