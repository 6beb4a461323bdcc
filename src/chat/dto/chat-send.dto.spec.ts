import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
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
});
