import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChainFields, GENESIS_HASH, linkHash } from './hash-chain.js';

const link: ChainFields = {
  id: '6f1c3d2a-0000-4000-8000-000000000001',
  roomId: '6f1c3d2a-0000-4000-8000-000000000002',
  seq: 1,
  kind: 'private',
  senderId: '6f1c3d2a-0000-4000-8000-000000000003',
  senderName: 'Alice',
  recipientId: '6f1c3d2a-0000-4000-8000-000000000004',
  recipientName: 'Bob',
  text: 'hello',
  clientMessageId: '6f1c3d2a-0000-4000-8000-000000000005',
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
};

describe('linkHash', () => {
  it('is SHA-256 over the previous hash and the fields as a JSON array, in a fixed order', () => {
    // Recomputable by an auditor with any SHA-256 tool: the canonical form is documented here.
    const canonical = JSON.stringify([
      GENESIS_HASH,
      link.id,
      link.roomId,
      1,
      'private',
      link.senderId,
      'Alice',
      link.recipientId,
      'Bob',
      'hello',
      link.clientMessageId,
      '2026-01-02T03:04:05.678Z',
    ]);
    const expected = createHash('sha256').update(canonical).digest('hex');
    assert.equal(linkHash(GENESIS_HASH, link), expected);
  });

  it('changes when any covered field or the previous hash changes', () => {
    const base = linkHash(GENESIS_HASH, link);
    const edits: Partial<ChainFields>[] = [
      { id: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { roomId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { seq: 2 },
      { kind: 'public' },
      { senderId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { senderName: 'Mallory' },
      { recipientId: null },
      { recipientName: null },
      { text: 'hello!' },
      { clientMessageId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { createdAt: new Date('2026-01-02T03:04:05.679Z') },
    ];
    for (const edit of edits) {
      assert.notEqual(linkHash(GENESIS_HASH, { ...link, ...edit }), base, JSON.stringify(edit));
    }
    assert.notEqual(linkHash(base, link), base);
  });

  it('cannot be fooled by moving text across a field boundary', () => {
    const a = linkHash(GENESIS_HASH, { ...link, senderName: 'Al', text: 'icehello' });
    const b = linkHash(GENESIS_HASH, { ...link, senderName: 'Alice', text: 'hello' });
    assert.notEqual(a, b);
  });
});
