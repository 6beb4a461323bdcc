import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import fc from 'fast-check';
import { validateSync } from 'class-validator';
import { validationOptions } from '../../common/validation.js';
import { ChatSendDto } from './chat-send.dto.js';

/** The properties that fail validation for a raw `chat:send` payload, as the gateway sees it. */
function invalid(payload: Record<string, unknown>): string[] {
  const dto = plainToInstance(ChatSendDto, payload);
  return validateSync(dto, validationOptions).map((e) => e.property);
}

const to = randomUUID();
const ok = () => ({ text: 'hi', clientMessageId: randomUUID() });

describe('ChatSendDto', () => {
  it('accepts a private message with a recipient and a public one without', () => {
    assert.deepEqual(invalid({ ...ok(), kind: 'private', to }), []);
    assert.deepEqual(invalid({ ...ok(), kind: 'public' }), []);
    assert.deepEqual(invalid({ ...ok(), kind: 'public', to: null }), []);
  });

  it('requires kind, and a recipient exactly when the message is private', () => {
    assert.deepEqual(invalid({ ...ok(), to }), ['kind']);
    assert.deepEqual(invalid({ ...ok(), kind: 'direct', to }), ['kind']);
    assert.deepEqual(invalid({ ...ok(), kind: 'private' }), ['to']);
    assert.deepEqual(invalid({ ...ok(), kind: 'private', to: null }), ['to']);
    assert.deepEqual(invalid({ ...ok(), kind: 'private', to: 'bob' }), ['to']);
    assert.deepEqual(invalid({ ...ok(), kind: 'public', to }), ['to']);
  });

  it('trims text and bounds it to 1..4000 characters', () => {
    assert.deepEqual(invalid({ ...ok(), kind: 'public', text: '   ' }), ['text']);
    assert.deepEqual(invalid({ ...ok(), kind: 'public', text: 'x'.repeat(4001) }), ['text']);
    assert.deepEqual(invalid({ ...ok(), kind: 'public', text: ` ${'x'.repeat(4000)} ` }), []);
    assert.deepEqual(invalid({ ...ok(), kind: 'public', text: 42 }), ['text']);
  });

  it('rejects text PostgreSQL would refuse or alter: NUL, unpaired surrogates', () => {
    for (const text of ['a\u0000b', '\u0000', 'x\uD800', '\uDC00y', '\uDC00\uD800'])
      assert.deepEqual(invalid({ ...ok(), kind: 'public', text }), ['text'], JSON.stringify(text));
    assert.deepEqual(invalid({ ...ok(), kind: 'public', text: 'emoji \uD83D\uDE00 ok' }), []);
  });

  it('rejects unknown fields, such as a forged sender', () => {
    assert.deepEqual(invalid({ ...ok(), kind: 'public', from: 'someone-else' }), ['from']);
  });

  it('its compiled check (accept) agrees with the decorators: it accepts exactly what they accept, with the same trimmed instance', () => {
    const uuid = fc.uuid();
    const text = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom('', '   ', ' hi ', '\u0000', 'x\uD800', '\uD83D\uDE00', '\t\n x \u00a0'),
      fc.integer({ min: 3995, max: 4005 }).map((n) => 'y'.repeat(n)),
      fc.integer({ min: 3995, max: 4005 }).map((n) => `  ${'\uD83D\uDE00'.repeat(n)}`),
      fc.anything(),
    );
    const field = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
    const payload = fc.oneof(
      fc.record(
        {
          kind: field(fc.oneof(fc.constantFrom('public', 'private', 'PUBLIC', ''), fc.anything())),
          to: field(fc.oneof(uuid, fc.constant(null), fc.constantFrom('bob', ''), fc.anything())),
          text: field(text),
          clientMessageId: field(fc.oneof(uuid, fc.string({ maxLength: 40 }), fc.anything())),
          from: fc.option(fc.string(), { nil: undefined, freq: 8 }),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(payload, (value) => {
        const accepted = ChatSendDto.accept(value);
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        const instance = isObject ? plainToInstance(ChatSendDto, value) : undefined;
        const valid =
          instance !== undefined && validateSync(instance, validationOptions).length === 0;
        assert.equal(accepted !== undefined, valid, JSON.stringify(value));
        if (accepted) {
          assert.ok(accepted instanceof ChatSendDto);
          assert.deepEqual({ ...accepted }, { ...instance });
        }
      }),
      {
        numRuns: 5_000,
        // The edges, always tried: lengths count code points, as class-validator does.
        examples: [3999, 4000, 4001].flatMap((n) =>
          ['y', '\uD83D\uDE00'].map((unit): [unknown] => [
            { kind: 'public', text: ` ${unit.repeat(n)} `, clientMessageId: randomUUID() },
          ]),
        ),
      },
    );
  });
});
