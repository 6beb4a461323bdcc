import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChatState, PUBLIC, privateKey } from '../client/src/chat.js';
import type { ChatMessage } from '../src/protocol/events.js';

// The web client's chat state (client/src/chat.ts), run here in Node: it is plain TypeScript.
// It must never turn a private message, sent or received, into a public one.

const self = randomUUID();
const bob = randomUUID();
const carol = randomUUID();

let seq = 0;
function message(fields: Partial<ChatMessage> & Pick<ChatMessage, 'kind'>): ChatMessage {
  seq++;
  return {
    id: randomUUID(),
    roomId: 'room',
    seq,
    from: { participantId: bob, displayName: 'Bob' },
    to: null,
    text: `m${seq}`,
    sentAt: new Date().toISOString(),
    ...fields,
  };
}

describe('web client chat state', () => {
  it('sends public only from the public conversation and private always with its recipient', () => {
    const chat = new ChatState(self);
    const id = randomUUID();
    assert.deepEqual(chat.outgoing(PUBLIC, 'hi', id), {
      kind: 'public',
      text: 'hi',
      clientMessageId: id,
    });
    const withBob = chat.openPrivate(bob);
    assert.deepEqual(chat.outgoing(withBob.key, 'psst', id), {
      kind: 'private',
      to: bob,
      text: 'psst',
      clientMessageId: id,
    });
  });

  it('refuses to send from a private conversation without a recipient instead of going public', () => {
    const chat = new ChatState(self);
    assert.throws(() => chat.outgoing(privateKey(''), 'secret', randomUUID()), /no recipient/);
  });

  it('files private messages by their other party, and drops one whose recipient is unclear', () => {
    const chat = new ChatState(self);
    const toMe = message({ kind: 'private', to: self });
    const mine = message({
      kind: 'private',
      from: { participantId: self, displayName: 'Me' },
      to: carol,
    });
    const unclear = message({
      kind: 'private',
      from: { participantId: self, displayName: 'Me' },
      to: null,
    });
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      assert.equal(chat.receive(toMe), privateKey(bob));
      assert.equal(chat.receive(mine), privateKey(carol));
      assert.equal(chat.receive(unclear), undefined);
    } finally {
      console.warn = warn;
    }
    assert.equal(chat.keyOf(unclear), undefined);
    assert.deepEqual(chat.get(PUBLIC)?.messages, []);
    const texts = (key: ReturnType<typeof privateKey>) =>
      chat.get(key)?.messages.map((m) => (m.state === 'sent' ? m.message.text : m.text));
    assert.deepEqual(texts(privateKey(bob)), [toMe.text]);
    assert.deepEqual(texts(privateKey(carol)), [mine.text]);
  });

  it('keeps the active conversation when others come and go', () => {
    const chat = new ChatState(self);
    chat.openPrivate(bob);
    chat.receive(message({ kind: 'public' }));
    chat.receive(
      message({ kind: 'private', from: { participantId: carol, displayName: 'C' }, to: self }),
    );
    assert.equal(chat.active, privateKey(bob));
    assert.equal(chat.get(privateKey(carol))?.unread, 1);
  });
});
