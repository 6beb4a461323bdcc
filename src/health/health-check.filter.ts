import { ArgumentsHost, Catch, ExceptionFilter, ServiceUnavailableException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode } from '../protocol/error-codes.js';

/**
 * A failed readiness check keeps the error model and adds terminus' per-check details, so an
 * operator sees which dependency is down.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string | number }>();
    const result = exception.getResponse() as { details?: Record<string, { status?: string }> };
    const down = Object.entries(result.details ?? {})
      .filter(([, v]) => v.status !== 'up')
      .map(([k]) => k);
    http
      .getResponse<Response>()
      .status(503)
      .json({
        error: {
          code: ErrorCode.SERVICE_UNAVAILABLE,
          message: down.includes('drain')
            ? 'Not ready: draining (shutting down)'
            : `Not ready: ${down.join(', ') || 'unknown'} unavailable`,
          requestId: request.id === undefined ? undefined : String(request.id),
        },
        details: result.details ?? {},
      });
  }
}
