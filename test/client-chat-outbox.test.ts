import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { PUBLIC, privateKey } from '../client/src/chat.js';
import { ChatOutbox, type OutgoingChat } from '../client/src/chat-outbox.js';
import { ServerError } from '../client/src/errors.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import type { ChatMessage, ChatSendPayload } from '../src/protocol/events.js';

// The web client's chat outbox (client/src/chat-outbox.ts), run here in Node: it is plain
// TypeScript. A message written while the link is down must go out after the re-join, once,
// in order and with the clientMessageId it was written with.

const bob = randomUUID();

/** A link whose server answers each request when the test says so. */
function fakeLink() {
  const link = {
    isJoined: true,
    requests: [] as { payload: ChatSendPayload; accept(): void; reject(error: unknown): void }[],
    sent: [] as string[],
    failed: [] as { outgoing: OutgoingChat; error: unknown }[],
  };
  const outbox = new ChatOutbox({
    joined: () => link.isJoined,
    send: (payload) =>
      new Promise<ChatMessage>((resolve, reject) => {
        link.requests.push({ payload, accept: () => resolve(stored(payload)), reject });
      }),
    sent: (clientMessageId) => void link.sent.push(clientMessageId),
    failed: (outgoing, error) => void link.failed.push({ outgoing, error }),
  });
  return { link, outbox };
}

let seq = 0;
function stored(payload: ChatSendPayload): ChatMessage {
  seq++;
  return {
    id: randomUUID(),
    roomId: 'room',
    seq,
    kind: payload.kind,
    from: { participantId: 'me', displayName: 'Me' },
    to: payload.to ?? null,
    text: payload.text,
    sentAt: new Date().toISOString(),
  };
}

function publicMessage(text: string): OutgoingChat {
  return { key: PUBLIC, payload: { kind: 'public', text, clientMessageId: randomUUID() } };
}

function privateMessage(text: string): OutgoingChat {
  return {
    key: privateKey(bob),
    payload: { kind: 'private', to: bob, text, clientMessageId: randomUUID() },
  };
}

/** Lets the outbox see settled requests. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('web client chat outbox', () => {
  it('sends at once while joined and reports what the server stored', async () => {
    const { link, outbox } = fakeLink();
    const m = publicMessage('hi');
    outbox.send(m);
    assert.deepEqual(
      link.requests.map((r) => r.payload),
      [m.payload],
    );
    link.requests[0]?.accept();
    await settle();
    assert.deepEqual(link.sent, [m.payload.clientMessageId]);
    assert.deepEqual(outbox.waiting(), []);
  });

  it('holds what is written while the link is down and sends it after the re-join, in order, with the same ids', async () => {
    const { link, outbox } = fakeLink();
    link.isJoined = false;
    const first = publicMessage('one');
    const second = privateMessage('two');
    const third = publicMessage('three');
    for (const m of [first, second, third]) outbox.send(m);
    assert.equal(link.requests.length, 0);
    assert.deepEqual(outbox.waiting(), [first, second, third]);

    link.isJoined = true;
    outbox.flush();
    assert.deepEqual(
      link.requests.map((r) => r.payload),
      [first.payload, second.payload, third.payload],
    );
    assert.deepEqual(outbox.waiting(), []);
    for (const r of link.requests) r.accept();
    await settle();
    assert.deepEqual(
      link.sent,
      [first, second, third].map((m) => m.payload.clientMessageId),
    );
    assert.deepEqual(link.failed, []);
  });

  it('a message whose ack is lost with the link is sent again after the re-join with the same id, once', async () => {
    const { link, outbox } = fakeLink();
    const m = privateMessage('psst');
    outbox.send(m);
    link.isJoined = false;
    link.requests[0]?.reject(new Error('operation has timed out'));
    await settle();
    assert.deepEqual(outbox.waiting(), [m]);
    assert.deepEqual(link.failed, []);

    link.isJoined = true;
    outbox.flush();
    outbox.flush();
    assert.equal(link.requests.length, 2);
    assert.deepEqual(link.requests[1]?.payload, m.payload);
    link.requests[1]?.accept();
    await settle();
    assert.deepEqual(link.sent, [m.payload.clientMessageId]);
  });

  it('a NOT_JOINED refusal during a reconnect waits for the re-join too', async () => {
    const { link, outbox } = fakeLink();
    const m = publicMessage('early');
    outbox.send(m);
    link.isJoined = false;
    link.requests[0]?.reject(new ServerError(ErrorCode.NOT_JOINED, 'not joined'));
    await settle();
    assert.deepEqual(outbox.waiting(), [m]);
    assert.deepEqual(link.failed, []);
  });

  it('a refusal while joined, or any other refusal, is a failure and is not retried by itself', async () => {
    const { link, outbox } = fakeLink();
    const refused = privateMessage('to someone who left');
    const limited = publicMessage('too fast');
    outbox.send(refused);
    outbox.send(limited);
    const gone = new ServerError(ErrorCode.RECIPIENT_NOT_IN_ROOM, 'left');
    link.requests[0]?.reject(gone);
    await settle();
    link.isJoined = false;
    const rate = new ServerError(ErrorCode.RATE_LIMITED, 'slow down');
    link.requests[1]?.reject(rate);
    await settle();
    assert.deepEqual(link.failed, [
      { outgoing: refused, error: gone },
      { outgoing: limited, error: rate },
    ]);
    assert.deepEqual(outbox.waiting(), []);
    link.isJoined = true;
    outbox.flush();
    assert.equal(link.requests.length, 2);
  });
});
