import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import type { ApiKeyScope } from './api-key.entity.js';
import type { ApiKeyPrincipal } from './api-keys.service.js';

export const AUTH_SCOPE = 'convene:auth-scope';

/**
 * Requires an API key with `scope` (X-API-Key header) and documents it in OpenAPI.
 * A route without `@Auth` or `@Public` is refused by the guard: the default is closed.
 */
export function Auth(options: { scope: ApiKeyScope }) {
  return applyDecorators(
    SetMetadata(AUTH_SCOPE, options.scope),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({
      description: 'Missing, unknown or revoked API key',
      type: ErrorResponseDto,
    }),
    ApiForbiddenResponse({
      description: `The key lacks the \`${options.scope}\` scope`,
      type: ErrorResponseDto,
    }),
    ApiTooManyRequestsResponse({ description: 'Rate limited', type: ErrorResponseDto }),
  );
}

/** The API key the request was authenticated with (set by the guard on `@Auth` routes). */
export const CallingKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ApiKeyPrincipal => {
    const request = context.switchToHttp().getRequest<{ apiKey?: ApiKeyPrincipal }>();
    if (!request.apiKey) throw new Error('CallingKey used on a route without @Auth');
    return request.apiKey;
  },
);
