import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChatController } from '../client/src/chat-controller.js';
import { PUBLIC, privateKey } from '../client/src/chat.js';
import { ServerError } from '../client/src/errors.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import type { ChatMessage, ChatSendPayload } from '../src/protocol/events.js';
import { answeringServer, chatMessage, joinedStore, view } from './support/client-room.js';

// The web client's chat controller (client/src/chat-controller.ts), run here in Node: it is
// plain TypeScript. What the person sees of a message they send follows the server's answer.

const self = randomUUID();
const bob = randomUUID();
const me = { participantId: self, displayName: 'Me' };

/** A chat in a room with Bob; the server stores what is sent unless `refuse` says otherwise. */
function chatPage(refuse?: (payload: ChatSendPayload) => ServerError | undefined) {
  const store = joinedStore(self, [view(bob, 'Bob')]);
  const history = [chatMessage({ participantId: bob, displayName: 'Bob' }, { text: 'earlier' })];
  const server = answeringServer((event, payload) => {
    if (event === 'chat:history') return { messages: history };
    const send = payload as ChatSendPayload;
    return refuse?.(send) ?? { message: stored(send) };
  });
  const link = { joined: true, ended: false };
  const announced: string[] = [];
  const chat = new ChatController(store, {
    request: server.request,
    joined: () => link.joined,
    ended: () => link.ended,
    changed: () => undefined,
    announce: (text) => void announced.push(text),
    notice: () => undefined,
    panelOpen: () => true,
    openPrivate: () => undefined,
  });
  chat.joined(self);
  const sends = () =>
    server.requests.filter((r) => r.event === 'chat:send').map((r) => r.payload as ChatSendPayload);
  return { store, chat, link, announced, sends };
}

function stored(payload: ChatSendPayload): ChatMessage {
  return chatMessage(me, {
    kind: payload.kind,
    to: payload.to ?? null,
    text: payload.text,
  });
}

const entries = (chat: ChatController, key = PUBLIC) =>
  chat.state.get(key)?.messages.map((m) => (m.state === 'sent' ? m.message.text : m.state)) ?? [];

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('web client chat controller', () => {
  it('a message goes to the open conversation, shows as pending, then as sent', async () => {
    const { chat, sends } = chatPage();
    chat.state.openPrivate(bob);
    chat.send('psst');
    assert.deepEqual(entries(chat, privateKey(bob)), ['pending']);
    await tick();
    assert.deepEqual(entries(chat, privateKey(bob)), ['psst']);
    assert.deepEqual(
      sends().map((s) => [s.kind, s.to]),
      [['private', bob]],
    );
  });

  it('a refused message says why, naming the recipient, and a retry keeps its clientMessageId', async () => {
    let refusing = true;
    const { chat, sends, announced } = chatPage(() =>
      refusing ? new ServerError(ErrorCode.RECIPIENT_NOT_IN_ROOM, 'gone') : undefined,
    );
    chat.state.openPrivate(bob);
    chat.send('are you there?');
    await tick();
    assert.deepEqual(announced, ['Bob left the meeting, so this message was not sent.']);
    assert.deepEqual(entries(chat, privateKey(bob)), ['failed']);
    refusing = false;
    chat.retry(sends()[0]?.clientMessageId ?? '');
    await tick();
    assert.deepEqual(entries(chat, privateKey(bob)), ['are you there?']);
    assert.equal(sends()[1]?.clientMessageId, sends()[0]?.clientMessageId);
  });

  it('written while the link is down, a message goes out once at the re-join', async () => {
    const { chat, link, sends } = chatPage();
    link.joined = false;
    chat.send('offline');
    assert.equal(sends().length, 0);
    link.joined = true;
    chat.joined(self);
    await tick();
    assert.equal(sends().length, 1);
    assert.deepEqual(entries(chat), ['offline']);
  });

  it('once the meeting is over, a failed send is no news', async () => {
    const { chat, link, announced } = chatPage(
      () => new ServerError(ErrorCode.AUDIT_UNAVAILABLE, 'down'),
    );
    link.ended = true;
    chat.send('too late');
    await tick();
    assert.deepEqual(announced, []);
  });

  it('history names its senders and counts nothing as unread', async () => {
    const { chat, store } = chatPage();
    await chat.loadHistory();
    assert.deepEqual(entries(chat), ['earlier']);
    assert.equal(store.nameOf(bob), 'Bob');
    assert.equal(chat.unread(), 0);
  });
});
