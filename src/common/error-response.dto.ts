import { ApiBadRequestResponse, ApiProperty } from '@nestjs/swagger';
import { type ErrorBody, ErrorCode } from '../protocol/error-codes.js';

export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ enum: Object.values(ErrorCode), example: 'ROOM_NOT_FOUND' })
  code!: ErrorCode;

  /** A sentence for people; never contains internals. */
  message!: string;

  /** Quote this id to operators: it is on every log line of the request. */
  requestId?: string;
}

/** Every error response of the HTTP API. */
export class ErrorResponseDto {
  error!: ErrorBodyDto;
}

/** Documents the 400 of a route whose path, query or body is validated. */
export const ApiInvalidInputResponse = () =>
  ApiBadRequestResponse({
    description:
      'Invalid input (VALIDATION_FAILED): malformed JSON, unknown or missing fields, bad ids or values',
    type: ErrorResponseDto,
  });
