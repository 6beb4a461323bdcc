import { ValidationError, ValidationPipeOptions } from '@nestjs/common';
import { ErrorCode } from '../protocol/error-codes.js';
import { DomainError } from './domain-error.js';

/** Flattens class-validator errors into one readable line: "to: must be a UUID; text: ...". */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string {
  const parts: string[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      parts.push(`${path}: ${message}`);
    }
    if (error.children?.length) parts.push(describeValidationErrors(error.children, path));
  }
  return parts.filter(Boolean).join('; ');
}

/** The one set of validation options, for HTTP and WebSocket alike: unknown fields are errors. */
export const validationOptions: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) =>
    new DomainError(
      ErrorCode.VALIDATION_FAILED,
      describeValidationErrors(errors) || 'Invalid input',
    ),
};

/** The body of a message that takes no fields: any field sent is refused as unknown. */
export class EmptyDto {}
