import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorBody, ErrorCode } from '../protocol/error-codes.js';
import { capMessage, DomainError, RateLimitedError } from './domain-error.js';
import { httpStatusFor } from './error-status.js';

/** Maps a framework HTTP status (404 route, 413 body, throttler 429, ...) to our error code. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return ErrorCode.UNAUTHENTICATED;
  if (status === 403) return ErrorCode.FORBIDDEN;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status === 503) return ErrorCode.SERVICE_UNAVAILABLE;
  if (status >= 400 && status < 500) return ErrorCode.VALIDATION_FAILED;
  return ErrorCode.INTERNAL;
}

/** Express body-parser errors carry a status but are not HttpExceptions. */
function bodyParserStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status } = error as { type?: unknown; status?: unknown };
  return typeof type === 'string' && typeof status === 'number' && status < 500
    ? status
    : undefined;
}

/**
 * The one HTTP error model: `{ error: { code, message, requestId } }`. Unknown errors become
 * INTERNAL; their stack is logged with the request id and never sent.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string | number }>();
    const response = http.getResponse<Response>();
    const requestId = request.id === undefined ? undefined : String(request.id);

    let status: number;
    let body: ErrorBody;
    if (exception instanceof DomainError) {
      status = httpStatusFor(exception.code);
      body = { code: exception.code, message: exception.message, requestId };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const code = codeForStatus(status);
      const message =
        code === ErrorCode.INTERNAL
          ? 'Internal error'
          : capMessage(exception.message || HttpStatus[status]);
      body = { code, message, requestId };
    } else if (bodyParserStatus(exception) !== undefined) {
      status = bodyParserStatus(exception) ?? HttpStatus.BAD_REQUEST;
      body = {
        code: ErrorCode.VALIDATION_FAILED,
        message: status === 413 ? 'Request body too large' : 'Malformed request body',
        requestId,
      };
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      body = { code: ErrorCode.INTERNAL, message: 'Internal error', requestId };
    }
    if (status >= 500) {
      this.logger.error(
        { err: exception, requestId, method: request.method, url: request.url },
        'request failed',
      );
    }
    if (exception instanceof RateLimitedError)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(status).json({ error: body });
  }
}
