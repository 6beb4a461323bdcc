import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shownNotices } from '../client/src/ui/notice-order.js';

// Which of the room's notices show when more are active than fit (client/src/ui/notice-order.ts).
const notice = (text: string, pinned = false) => ({ text, pinned });
const texts = (shown: { text: string }[]) => shown.map((n) => n.text);

describe('web client notices', () => {
  it('the latest notice shows even when older notices with a button fill the strip', () => {
    // The CI failure this guards against: three private-message notices with an Open button (15 s
    // each) hid "A host muted your microphone.", so the person was never shown it.
    const active = [
      notice('Private message from Alice', true),
      notice('Private message from Alice', true),
      notice('Private message from Alice', true),
      notice('A host muted your microphone.'),
    ];
    assert.deepEqual(texts(shownNotices(active, 3)), [
      'A host muted your microphone.',
      'Private message from Alice',
      'Private message from Alice',
    ]);
  });

  it('then pinned ones before the others, newest first, up to the limit', () => {
    const active = [
      notice('Ann joined.'),
      notice('Connection lost', true),
      notice('Bob joined.'),
      notice('Cy joined.'),
      notice('Dee joined.'),
    ];
    assert.deepEqual(texts(shownNotices(active, 3)), [
      'Dee joined.',
      'Connection lost',
      'Cy joined.',
    ]);
    assert.deepEqual(shownNotices([], 3), []);
    assert.equal(shownNotices(active, 10).length, 5);
  });
});
