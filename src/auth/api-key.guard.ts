import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, RateLimitedError } from '../common/domain-error.js';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiKeyScope } from './api-key.entity.js';
import { ApiKeyPrincipal, ApiKeysService } from './api-keys.service.js';
import { AUTH_SCOPE } from './auth.decorator.js';
import { ApiKeyFailureLimiter } from './failure-limiters.js';

export type AuthenticatedRequest = Request & { apiKey?: ApiKeyPrincipal };

/**
 * Global HTTP guard: `@Public()` routes pass, `@Auth({ scope })` routes need a key, others fail.
 * Unknown keys are counted per client address; over the limit, further unknown keys from there
 * get 429, while a valid key from the same address still passes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly failures: ApiKeyFailureLimiter,
  ) {}

  // Synchronous for sockets (they authenticate at the handshake): Nest then skips an await on
  // every socket message, which this global guard also sees.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return this.checkKey(context);
  }

  private async checkKey(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(AUTH_SCOPE, targets);
    if (!scope) throw new DomainError(ErrorCode.FORBIDDEN, 'This route is not exposed');

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = request.header('x-api-key');
    if (!presented) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Missing X-API-Key header');
    const principal = await this.keys.verify(presented);
    if (!principal) {
      // req.ip honours X-Forwarded-For only from trusted proxies (CONVENE_TRUST_PROXY).
      const retryAfter = await this.failures.recordFailure(request.ip ?? 'unknown');
      if (retryAfter !== undefined) {
        throw new RateLimitedError(
          `Too many unknown API keys from your address; try again in ${retryAfter} s`,
          retryAfter,
        );
      }
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Unknown or revoked API key');
    }
    if (!principal.scopes.includes(scope)) {
      throw new DomainError(ErrorCode.FORBIDDEN, `This API key lacks the "${scope}" scope`);
    }
    request.apiKey = principal;
    return true;
  }
}
