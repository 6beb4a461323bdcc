import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { DomainError } from './domain-error.js';

/** Bounds on the shape of one input (an HTTP body or query, a socket message's payload). */
export interface ShapeLimits {
  /** Values in the whole tree, containers included (object keys and array items count). */
  maxValues: number;
  /** Containers inside containers: `{ a: [ {} ] }` is 3 levels deep. */
  maxDepth: number;
  /** UTF-16 code units in any one string, object keys included. */
  maxStringLength: number;
}

/**
 * Sized from the largest legitimate input with room to spare: media:consume's rtpCapabilities
 * (every codec and header extension mediasoup supports is 340 values, 5 levels deep) and
 * media:produce's rtpParameters (a few codecs, header extensions, three simulcast encodings) are
 * a few hundred values; chat text is at most 4000 characters after trimming. class-transformer
 * spends ~20 ms on 2000 unknown keys, against seconds on 100k.
 */
export const INPUT_LIMITS: ShapeLimits = {
  maxValues: 2_000,
  maxDepth: 16,
  maxStringLength: 8_192,
};

/**
 * What makes `value` exceed `limits`, or undefined when it fits. Cheap by construction, so it can
 * run before validation: iterative (no recursion to overflow), it visits at most
 * `limits.maxValues` values and stops at the first limit exceeded.
 */
export function shapeProblem(
  value: unknown,
  limits: ShapeLimits = INPUT_LIMITS,
): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let seen = 0;
  const tooMany = `must not hold more than ${limits.maxValues} values`;
  const tooLong = `must not hold strings longer than ${limits.maxStringLength} characters`;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    seen += 1;
    if (seen > limits.maxValues) return tooMany;
    const current = next.value;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) return tooLong;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (next.depth >= limits.maxDepth)
      return `must not be nested more than ${limits.maxDepth} levels deep`;
    const depth = next.depth + 1;
    if (Array.isArray(current)) {
      if (seen + pending.length + current.length > limits.maxValues) return tooMany;
      for (const item of current as unknown[]) pending.push({ value: item, depth });
      continue;
    }
    const keys = Object.keys(current);
    if (seen + pending.length + keys.length > limits.maxValues) return tooMany;
    for (const key of keys) {
      if (key.length > limits.maxStringLength) return tooLong;
      pending.push({ value: (current as Record<string, unknown>)[key], depth });
    }
  }
  return undefined;
}

const CHECKED: readonly unknown[] = ['body', 'query', 'param', WsParamtype.PAYLOAD];

/**
 * Refuses oversized or deeply nested input with VALIDATION_FAILED before class-transformer sees
 * it (its transformation is quadratic in the number of keys and recursive in the depth). Runs
 * first, before the ValidationPipe, on HTTP and socket messages alike; the socket itself and
 * other framework arguments pass untouched.
 */
@Injectable()
export class InputShapePipe implements PipeTransform {
  constructor(private readonly limits: ShapeLimits = INPUT_LIMITS) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!CHECKED.includes(metadata.type)) return value;
    const problem = shapeProblem(value, this.limits);
    if (problem !== undefined)
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `Input ${problem}`);
    return value;
  }
}
