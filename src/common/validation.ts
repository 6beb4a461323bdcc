import {
  type ArgumentMetadata,
  ValidationError,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { ErrorCode } from '../protocol/error-codes.js';
import { capMessage, DomainError, MAX_ERROR_MESSAGE_LENGTH } from './domain-error.js';

/** Every "path: problem" of class-validator's error tree, depth first, without recursion. */
function* problems(errors: ValidationError[]): Generator<string> {
  const pending = errors.map((error) => ({ error, prefix: '' })).reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { error, prefix } = next;
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) yield `${path}: ${message}`;
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--)
      pending.push({ error: children[i], prefix: path });
  }
}

/**
 * Flattens class-validator errors into one readable line: "to: must be a UUID; text: ...".
 * Names the first problems that fit in MAX_ERROR_MESSAGE_LENGTH and counts the rest, so a
 * payload with thousands of unknown fields gets a short answer.
 */
export function describeValidationErrors(errors: ValidationError[]): string {
  const shown: string[] = [];
  let length = 0;
  let more = 0;
  const budget = MAX_ERROR_MESSAGE_LENGTH - 40; // room for "; and N more problems"
  for (const problem of problems(errors)) {
    if (more === 0 && (shown.length === 0 || length + problem.length + 2 <= budget)) {
      shown.push(capMessage(problem, budget));
      length += problem.length + 2;
    } else {
      more += 1;
    }
  }
  const text = shown.join('; ') + (more > 0 ? `; and ${more} more problems` : '');
  return capMessage(text);
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

/**
 * A DTO class whose decorators are also compiled into one function, for a message on the hot
 * path: `accept` returns the instance class-transformer and class-validator would produce when
 * the value is valid, and undefined otherwise. It must never accept what the decorators refuse
 * (a property test compares the two); on undefined, the full validation runs and reports why.
 */
export interface PrecheckedDto<T> {
  accept(value: unknown): T | undefined;
}

const isPrechecked = (metatype: unknown): metatype is PrecheckedDto<unknown> =>
  typeof (metatype as Partial<PrecheckedDto<unknown>> | undefined)?.accept === 'function';

/**
 * The ValidationPipe with validationOptions, except that a valid value of a PrecheckedDto is
 * accepted by its compiled check, without reflecting over its decorators per message.
 */
export class PrecheckedValidationPipe extends ValidationPipe {
  constructor() {
    super(validationOptions);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (isPrechecked(metadata.metatype)) {
      const accepted = metadata.metatype.accept(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}
