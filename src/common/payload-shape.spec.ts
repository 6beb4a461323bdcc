import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationPipe } from '@nestjs/common';
import { getSupportedRtpCapabilities } from 'mediasoup';
import { ConsumeDto } from '../media/dto/media-messages.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { DomainError, MAX_ERROR_MESSAGE_LENGTH } from './domain-error.js';
import { INPUT_LIMITS, InputShapePipe, shapeProblem } from './payload-shape.js';
import { validationOptions } from './validation.js';

function manyKeys(n: number): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  return o;
}

function nested(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = wrap(v);
  return v;
}

const uuid = '6f1c1b2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('shapeProblem', () => {
  it('lets the largest legitimate payload through: every capability mediasoup supports', () => {
    const payload = {
      transportId: uuid,
      producerId: uuid,
      rtpCapabilities: getSupportedRtpCapabilities(),
    };
    assert.equal(shapeProblem(payload), undefined);
  });

  it('refuses 100k keys at once, without walking them', () => {
    const payload = { kind: 'public', text: 'hi', ...manyKeys(100_000) };
    const started = performance.now();
    const problem = shapeProblem(payload);
    assert.match(problem ?? '', /more than 2000 values/);
    assert.ok(performance.now() - started < 100, 'checking took longer than 100 ms');
  });

  it('counts values across the whole tree, not per container', () => {
    const spread = Array.from({ length: 100 }, () => manyKeys(30));
    assert.match(shapeProblem({ list: spread }) ?? '', /more than 2000 values/);
    assert.equal(shapeProblem({ list: spread.slice(0, 50) }), undefined);
  });

  it('refuses deep nesting of arrays and objects without overflowing the stack', () => {
    for (const levels of [17, 5_000, 300_000]) {
      assert.match(shapeProblem(nested(levels, (v) => [v])) ?? '', /nested more than 16/);
      assert.match(shapeProblem(nested(levels, (v) => ({ a: v }))) ?? '', /nested more than 16/);
    }
    assert.equal(shapeProblem(nested(15, (v) => ({ a: v }))), undefined);
  });

  it('refuses huge strings and huge keys, and huge arrays', () => {
    const long = 'x'.repeat(INPUT_LIMITS.maxStringLength + 1);
    assert.match(shapeProblem({ text: long }) ?? '', /strings longer than 8192/);
    assert.match(shapeProblem({ [long]: 1 }) ?? '', /strings longer than 8192/);
    assert.match(shapeProblem(new Array(1_000_000).fill(0)) ?? '', /more than 2000 values/);
    assert.equal(shapeProblem({ text: 'x'.repeat(INPUT_LIMITS.maxStringLength) }), undefined);
  });
});

describe('InputShapePipe', () => {
  const pipe = new InputShapePipe();

  it('refuses an oversized body with VALIDATION_FAILED and a short message', () => {
    assert.throws(
      () => pipe.transform(manyKeys(100_000), { type: 'body' }),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === ErrorCode.VALIDATION_FAILED &&
        error.message.length <= MAX_ERROR_MESSAGE_LENGTH,
    );
  });

  it('leaves framework arguments alone (a custom parameter is not input)', () => {
    const big = manyKeys(10_000);
    assert.equal(pipe.transform(big, { type: 'custom' }), big);
  });
});

describe('validation messages', () => {
  it('name the first problems and count the rest, within the length cap', async () => {
    const pipe = new ValidationPipe(validationOptions);
    const payload = {
      transportId: 'nope',
      producerId: uuid,
      rtpCapabilities: {},
      ...manyKeys(1500),
    };
    const error = await pipe.transform(payload, { type: 'body', metatype: ConsumeDto }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
    assert.ok(error.message.length <= MAX_ERROR_MESSAGE_LENGTH, error.message);
    // 1500 unknown fields and one bad UUID: the first few are named, the rest counted.
    assert.match(error.message, /^k0: property k0 should not exist; k1: /);
    const named = error.message.split('; ').length - 1;
    const more = Number(/and (\d+) more problems$/.exec(error.message)?.[1]);
    assert.equal(named + more, 1501);
  });

  it('cut any domain error message to the cap', () => {
    const error = new DomainError(ErrorCode.MEDIA_REJECTED, 'x'.repeat(10_000));
    assert.equal(error.message.length, MAX_ERROR_MESSAGE_LENGTH);
    assert.ok(error.message.endsWith('…'));
  });
});
